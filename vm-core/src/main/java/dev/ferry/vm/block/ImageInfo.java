package dev.ferry.vm.block;

import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What {@code ferry img info} prints about an image, read from its header without opening its
 * backing chain.
 *
 * @param path the image file
 * @param format its format
 * @param virtualSize the size the guest sees, in bytes
 * @param allocatedBytes the bytes of the file that hold data (holes excluded)
 * @param backingFile the backing file exactly as the header names it (relative to the image's folder)
 * @param backingFormat the backing file's format as the header records it, if it does
 * @param clusterSize the qcow2 cluster size
 * @param qcow2Version 2 or 3 for qcow2
 * @param dirty the qcow2 dirty bit: refcounts may be stale and are rebuilt on a writable open
 * @param corrupt the qcow2 corrupt bit: the image may only be opened read-only
 */
public record ImageInfo(
        Path path,
        ImageFormat format,
        long virtualSize,
        long allocatedBytes,
        Optional<String> backingFile,
        Optional<ImageFormat> backingFormat,
        OptionalInt clusterSize,
        OptionalInt qcow2Version,
        boolean dirty,
        boolean corrupt) {
}
