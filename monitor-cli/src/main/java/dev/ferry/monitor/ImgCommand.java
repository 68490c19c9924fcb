package dev.ferry.monitor;

import dev.ferry.monitor.hmp.Sizes;
import dev.ferry.vm.block.BlockImages;
import dev.ferry.vm.block.ImageFormat;
import dev.ferry.vm.block.ImageInfo;
import dev.ferry.vm.block.IncompleteMark;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ferry img}: create and describe disk images, as {@code qemu-img create|info}. */
@Command(name = "img", description = "Create and describe raw and qcow2 disk images.",
        subcommands = {ImgCommand.Create.class, ImgCommand.Info.class})
final class ImgCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** {@code ferry img} alone lists its subcommands. */
    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "create", description = "Create an image: a size, or -b BACKING for a qcow2 overlay.")
    static final class Create implements Callable<Integer> {

        @Option(names = "-f", defaultValue = "qcow2", paramLabel = "FORMAT", description = "raw or qcow2 (default: ${DEFAULT-VALUE}).")
        String format;

        @Option(names = "-b", paramLabel = "BACKING", description = "Backing file of a qcow2 overlay (its size is the overlay's).")
        Path backing;

        @Option(names = "--cluster-size", paramLabel = "SIZE", description = "qcow2 cluster size (default 64K).")
        String clusterSize;

        @Parameters(index = "0", paramLabel = "FILE")
        Path file;

        @Parameters(index = "1", arity = "0..1", paramLabel = "SIZE", description = "Virtual size: 512, 64K, 10M, 1G, ...")
        String size;

        @Override
        public Integer call() throws IOException {
            ImageFormat imageFormat = ImageFormat.fromId(format);
            int cluster = clusterSize == null ? BlockImages.DEFAULT_CLUSTER_SIZE : Math.toIntExact(Sizes.parse(clusterSize, 'B'));
            if (backing != null) {
                if (imageFormat != ImageFormat.QCOW2) {
                    throw new IllegalArgumentException("-b needs -f qcow2: only qcow2 images have a backing file");
                }
                if (size != null) {
                    throw new IllegalArgumentException("an overlay takes its backing file's size; leave SIZE out with -b");
                }
                BlockImages.createQcow2Overlay(file, backing, cluster);
            } else {
                if (size == null) {
                    throw new IllegalArgumentException("give the image a SIZE (e.g. 1G), or -b BACKING for an overlay");
                }
                long bytes = Sizes.parse(size, 'B');
                if (imageFormat == ImageFormat.RAW) {
                    BlockImages.createRaw(file, bytes);
                } else {
                    BlockImages.createQcow2(file, bytes, cluster);
                }
            }
            ImageInfo info = BlockImages.info(file);
            System.out.printf("Formatting '%s', fmt=%s size=%d%s%n", file, info.format().id(), info.virtualSize(),
                    info.backingFile().map(b -> " backing_file=" + b).orElse(""));
            return 0;
        }
    }

    @Command(name = "info", description = "Describe an image.")
    static final class Info implements Callable<Integer> {

        @Parameters(paramLabel = "FILE")
        Path file;

        @Override
        public Integer call() throws IOException {
            ImageInfo info = BlockImages.info(file);
            System.out.println("image: " + info.path());
            System.out.println("file format: " + info.format().id());
            System.out.println("virtual size: " + Sizes.human(info.virtualSize()) + " (" + info.virtualSize() + " bytes)");
            System.out.println("disk size: " + Sizes.human(info.allocatedBytes()));
            info.clusterSize().ifPresent(c -> System.out.println("cluster_size: " + c));
            info.qcow2Version().ifPresent(v -> System.out.println("compat: " + (v >= 3 ? "1.1" : "0.10")));
            info.backingFile().ifPresent(b -> System.out.println("backing file: " + b));
            info.backingFormat().ifPresent(f -> System.out.println("backing file format: " + f.id()));
            if (info.dirty()) {
                System.out.println("dirty: yes (refcounts are rebuilt on the next writable open)");
            }
            if (info.corrupt()) {
                System.out.println("corrupt: yes (opens read-only only)");
            }
            IncompleteMark.read(file).ifPresent(mark -> System.out.println("incomplete: yes, " + mark.describe()
                    + " (ferry run refuses it; " + IncompleteMark.file(file).getFileName() + ")"));
            return 0;
        }
    }
}
