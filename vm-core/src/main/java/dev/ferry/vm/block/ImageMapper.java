package dev.ferry.vm.block;

import dev.ferry.vm.block.qcow2.ClusterRun;
import dev.ferry.vm.block.qcow2.Qcow2Image;
import dev.ferry.vm.block.raw.RawImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Walks a backing chain the way {@code qemu-img map} does: each range is asked of the top layer;
 * what it does not hold is asked of the next one down, unless it lies past that layer's end
 * (then it reads as zeroes). A raw layer holds every byte, data or hole as SEEK_DATA/SEEK_HOLE say.
 */
final class ImageMapper {

    private ImageMapper() {
    }

    static List<MapExtent> map(BlockDevice top) throws IOException {
        List<MapExtent> extents = new ArrayList<>();
        long offset = 0;
        while (offset < top.size()) {
            MapExtent next = status(top, offset, top.size() - offset);
            if (!extents.isEmpty() && extents.getLast().continuedBy(next)) {
                extents.set(extents.size() - 1, extents.getLast().joined(next));
            } else {
                extents.add(next);
            }
            offset += next.length();
        }
        return extents;
    }

    private static MapExtent status(BlockDevice top, long offset, long length) throws IOException {
        BlockDevice layer = top;
        int depth = 0;
        while (true) {
            switch (layer) {
                case RawImage raw -> {
                    Extent extent = raw.allocation(offset, length);
                    boolean data = extent.allocation() == Allocation.DATA;
                    return new MapExtent(offset, extent.length(), depth, true, !data, data, OptionalLong.of(offset));
                }
                case Qcow2Image qcow2 -> {
                    ClusterRun run = qcow2.layerRun(offset, length);
                    OptionalLong host = run.host() == 0 ? OptionalLong.empty() : OptionalLong.of(run.host());
                    switch (run.kind()) {
                        case DATA -> {
                            return new MapExtent(offset, run.length(), depth, true, false, true, host);
                        }
                        case ZERO -> {
                            return new MapExtent(offset, run.length(), depth, true, true, false, host);
                        }
                        case UNALLOCATED -> {
                            long backingSize = layer.backing().map(BlockDevice::size).orElse(0L);
                            if (offset >= backingSize) {
                                return new MapExtent(offset, run.length(), depth, false, true, false, OptionalLong.empty());
                            }
                            length = Math.min(run.length(), backingSize - offset);
                            layer = layer.backing().orElseThrow();
                            depth++;
                        }
                    }
                }
                default -> throw new IllegalArgumentException(layer.path() + ": a " + layer.getClass().getSimpleName()
                        + " cannot be mapped");
            }
        }
    }
}
