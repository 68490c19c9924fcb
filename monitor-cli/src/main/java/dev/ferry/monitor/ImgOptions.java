package dev.ferry.monitor;

import dev.ferry.monitor.hmp.Sizes;
import dev.ferry.vm.block.BlockImages;
import dev.ferry.vm.block.ImageFormat;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * qemu-img's {@code -o} options that Ferry's images have: {@code cluster_size}, {@code backing_file},
 * {@code backing_fmt} and {@code preallocation=off}; any other is refused by name.
 */
record ImgOptions(int clusterSize, Optional<Path> backingFile, Optional<ImageFormat> backingFormat) {

    static ImgOptions parse(List<String> options, Optional<String> clusterSize, Optional<Path> backing, Optional<String> backingFormat) {
        Optional<String> cluster = clusterSize;
        Optional<Path> file = backing;
        Optional<String> format = backingFormat;
        for (String list : options) {
            for (String option : list.split(",")) {
                int eq = option.indexOf('=');
                String key = eq < 0 ? option : option.substring(0, eq);
                String value = eq < 0 ? "" : option.substring(eq + 1);
                switch (key) {
                    case "cluster_size" -> cluster = Optional.of(value);
                    case "backing_file" -> file = Optional.of(Path.of(value));
                    case "backing_fmt" -> format = Optional.of(value);
                    case "preallocation" -> {
                        if (!value.equals("off")) {
                            throw new IllegalArgumentException("-o preallocation=" + value + " is not supported (only off)");
                        }
                    }
                    default -> throw new IllegalArgumentException("-o " + key + " is not supported (cluster_size, backing_file, backing_fmt, preallocation=off)");
                }
            }
        }
        int bytes = cluster.map(c -> Math.toIntExact(Sizes.parse(c, 'B'))).orElse(BlockImages.DEFAULT_CLUSTER_SIZE);
        return new ImgOptions(bytes, file, format.map(ImageFormat::fromId));
    }
}
