package dev.ferry.monitor;

import dev.ferry.monitor.hmp.Sizes;
import dev.ferry.vm.block.BlockImages;
import dev.ferry.vm.block.ImageFormat;
import dev.ferry.vm.block.ImageInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ferry img create}, as {@code qemu-img create [-f FMT] [-b BACKING [-F FMT]] [-o OPTIONS] FILE [SIZE]}. */
@Command(name = "create", description = "Create an image: a SIZE, or -b BACKING for a qcow2 overlay (SIZE optional).")
final class ImgCreate implements Callable<Integer> {

    @Option(names = "-f", defaultValue = "qcow2", paramLabel = "FORMAT", description = "raw or qcow2 (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "-b", paramLabel = "BACKING", description = "Backing file of a qcow2 overlay (its size by default).")
    Path backing;

    @Option(names = "-F", paramLabel = "FORMAT", description = "The backing file's format; checked against the file.")
    String backingFormat;

    @Option(names = "-o", paramLabel = "OPTIONS", description = "cluster_size=SIZE, backing_file=PATH, backing_fmt=FORMAT, preallocation=off.")
    List<String> options = new ArrayList<>();

    @Option(names = "--cluster-size", paramLabel = "SIZE", description = "qcow2 cluster size (default 64K).")
    String clusterSize;

    @Parameters(index = "0", paramLabel = "FILE")
    Path file;

    @Parameters(index = "1", arity = "0..1", paramLabel = "SIZE", description = "Virtual size: 512, 64K, 10M, 1.5G, ...")
    String size;

    @Override
    public Integer call() throws IOException {
        ImageFormat imageFormat = ImageFormat.fromId(format);
        ImgOptions o = ImgOptions.parse(options, Optional.ofNullable(clusterSize), Optional.ofNullable(backing), Optional.ofNullable(backingFormat));
        OptionalLong bytes = size == null ? OptionalLong.empty() : OptionalLong.of(Sizes.parse(size, 'B'));
        if (o.backingFile().isPresent()) {
            if (imageFormat != ImageFormat.QCOW2) {
                throw new IllegalArgumentException("-b needs -f qcow2: only qcow2 images have a backing file");
            }
            ImageFormat actual = BlockImages.info(o.backingFile().get()).format();
            if (o.backingFormat().isPresent() && o.backingFormat().get() != actual) {
                throw new IllegalArgumentException("-F " + o.backingFormat().get().id() + ": " + o.backingFile().get() + " is " + actual.id());
            }
            BlockImages.createQcow2Overlay(file, o.backingFile().get(), o.clusterSize(), bytes);
        } else if (bytes.isEmpty()) {
            throw new IllegalArgumentException("give the image a SIZE (e.g. 1G), or -b BACKING for an overlay");
        } else if (imageFormat == ImageFormat.RAW) {
            BlockImages.createRaw(file, bytes.getAsLong());
        } else {
            BlockImages.createQcow2(file, bytes.getAsLong(), o.clusterSize());
        }
        ImageInfo info = BlockImages.info(file);
        System.out.printf("Formatting '%s', fmt=%s size=%d%s%n", file, info.format().id(), info.virtualSize(),
                info.backingFile().map(b -> " backing_file=" + b).orElse(""));
        return 0;
    }
}
