package dev.ferry.vm.block;

/**
 * The backing file of an overlay as its header names it, so a migration can ask the destination
 * for the same one; {@link BlockImages#sha256} gives a full content digest when asked.
 *
 * @param name the backing file name exactly as the overlay's header holds it
 * @param format the backing file's format
 * @param size the backing file's virtual size in bytes
 */
public record BackingFile(String name, ImageFormat format, long size) {
}
