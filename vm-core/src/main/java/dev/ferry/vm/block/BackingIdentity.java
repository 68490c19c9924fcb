package dev.ferry.vm.block;

/**
 * How an overlay names its backing file, enough for a migration to check cheaply that the
 * destination has the same one; {@link BlockImages#sha256} gives the content digest when asked.
 *
 * @param name the backing file name exactly as the overlay's header holds it
 * @param format the backing file's format
 * @param size the backing file's virtual size in bytes
 */
public record BackingIdentity(String name, ImageFormat format, long size) {
}
