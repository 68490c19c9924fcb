package dev.ferry.vm.state;

/**
 * One disk as a migration's configuration check sees it: both sides must agree on all of it.
 *
 * @param id the drive id
 * @param size virtual size in bytes
 * @param readOnly whether the guest may write it
 */
public record DiskConfig(String id, long size, boolean readOnly) {
}
