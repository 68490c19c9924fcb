package dev.ferry.monitor;

import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.BlockImages;
import dev.ferry.vm.block.ImageFormat;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ferry img convert [-f FMT] -O raw|qcow2 [-o cluster_size=SIZE] SRC DST}: a new image with
 * SRC's guest-visible contents (its backing chain flattened); zero chunks stay unwritten.
 */
@Command(name = "convert", description = "Copy an image's contents into a new raw or qcow2 image.")
final class ImgConvert implements Callable<Integer> {

    private static final int CHUNK = 1 << 20;

    @Option(names = "-f", paramLabel = "FORMAT", description = "The source's format (probed if absent).")
    String sourceFormat;

    @Option(names = "-O", defaultValue = "raw", paramLabel = "FORMAT", description = "The new image's format (default ${DEFAULT-VALUE}).")
    String outputFormat;

    @Option(names = "-o", paramLabel = "OPTIONS", description = "cluster_size=SIZE for a qcow2 output.")
    List<String> options = new ArrayList<>();

    @Parameters(index = "0", paramLabel = "SRC")
    Path source;

    @Parameters(index = "1", paramLabel = "DST")
    Path destination;

    @Override
    public Integer call() throws IOException {
        ImageFormat format = ImageFormat.fromId(outputFormat);
        ImgOptions o = ImgOptions.parse(options, Optional.empty(), Optional.empty(), Optional.empty());
        if (o.backingFile().isPresent()) {
            throw new IllegalArgumentException("convert writes a flat image: -o backing_file is not supported");
        }
        try (BlockDevice from = ImgCompare.open(source, sourceFormat)) {
            if (format == ImageFormat.RAW) {
                BlockImages.createRaw(destination, from.size());
            } else {
                BlockImages.createQcow2(destination, from.size(), o.clusterSize());
            }
            boolean done = false;
            try (BlockDevice to = BlockImages.open(destination, format, false); Arena arena = Arena.ofConfined()) {
                MemorySegment buffer = arena.allocate(CHUNK, 4096);
                for (long offset = 0; offset < from.size(); offset += CHUNK) {
                    MemorySegment chunk = buffer.asSlice(0, Math.min(CHUNK, from.size() - offset));
                    from.read(offset, chunk);
                    if (!ImgCompare.zero(chunk)) {
                        to.write(offset, chunk);
                    }
                }
                to.flush();
                done = true;
            } finally {
                if (!done) {
                    Files.deleteIfExists(destination);
                }
            }
        }
        return 0;
    }
}
