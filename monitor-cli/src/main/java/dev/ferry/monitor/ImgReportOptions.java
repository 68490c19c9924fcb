package dev.ferry.monitor;

import dev.ferry.vm.block.ImageFormat;
import picocli.CommandLine.Option;

/** The options of the img subcommands that describe one image, as qemu-img spells them: {@code -f} and {@code --output}. */
final class ImgReportOptions {

    @Option(names = "-f", paramLabel = "FORMAT", description = "The image's format (probed if absent).")
    String format;

    @Option(names = "--output", defaultValue = "human", paramLabel = "human|json", description = "Default ${DEFAULT-VALUE}.")
    String output = "human";

    /** The format asked for, or null to probe. */
    ImageFormat format() {
        return format == null ? null : ImageFormat.fromId(format);
    }

    /** Whether JSON was asked for; anything but qemu-img's two outputs is refused. */
    boolean json() {
        if (!output.equals("human") && !output.equals("json")) {
            throw new IllegalArgumentException("--output " + output + " is not human or json");
        }
        return output.equals("json");
    }
}
