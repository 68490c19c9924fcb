package dev.ferry.monitor;

import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.BlockImages;
import dev.ferry.vm.block.MapExtent;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code ferry img map [-f FMT] [--output=human|json] FILE}: which layer of the backing chain holds
 * each range and where in its file, printed as qemu-img map prints it. The human form lists only
 * the ranges stored as data; the JSON form every range, with depth, present, zero and data.
 */
@Command(name = "map", description = "Show where each range of an image (and its backing chain) is stored, as qemu-img map.")
final class ImgMap implements Callable<Integer> {

    @Mixin
    ImgReportOptions report;

    @Parameters(paramLabel = "FILE")
    Path file;

    @Override
    public Integer call() throws IOException {
        boolean json = report.json();
        try (BlockDevice device = ImgCompare.open(file, report.format)) {
            List<MapExtent> extents = BlockImages.map(device);
            if (json) {
                System.out.println(json(extents));
            } else {
                human(extents, fileNames(device));
            }
        }
        return 0;
    }

    /** One object per line, as qemu-img writes them. */
    private static String json(List<MapExtent> extents) {
        StringBuilder text = new StringBuilder("[");
        for (MapExtent e : extents) {
            if (text.length() > 1) {
                text.append(",\n");
            }
            text.append("{ \"start\": ").append(e.start()).append(", \"length\": ").append(e.length())
                    .append(", \"depth\": ").append(e.depth()).append(", \"present\": ").append(e.present())
                    .append(", \"zero\": ").append(e.zero()).append(", \"data\": ").append(e.data());
            e.offset().ifPresent(offset -> text.append(", \"offset\": ").append(offset));
            text.append('}');
        }
        return text.append(']').toString();
    }

    private static void human(List<MapExtent> extents, List<String> names) {
        System.out.printf("%-16s%-16s%-16s%s%n", "Offset", "Length", "Mapped to", "File");
        for (MapExtent e : extents) {
            if (e.data() && e.offset().isPresent()) {
                System.out.printf("%-16s%-16s%-16s%s%n", hex(e.start()), hex(e.length()), hex(e.offset().getAsLong()),
                        names.get(e.depth()));
            }
        }
    }

    /** C's {@code %#x}: no prefix for zero. */
    private static String hex(long value) {
        return value == 0 ? "0" : "0x" + Long.toHexString(value);
    }

    /** Each layer's file as qemu-img names it: a relative backing name joined to the overlay's name as given. */
    private List<String> fileNames(BlockDevice top) {
        List<String> names = new ArrayList<>();
        Path name = file;
        for (Optional<BlockDevice> layer = Optional.of(top); layer.isPresent(); layer = layer.get().backing()) {
            names.add(name.toString());
            Optional<Path> below = BlockImages.backingFile(layer.get()).map(b -> Path.of(b.name()));
            if (below.isPresent()) {
                name = below.get().isAbsolute() ? below.get() : name.resolveSibling(below.get());
            }
        }
        return names;
    }
}
