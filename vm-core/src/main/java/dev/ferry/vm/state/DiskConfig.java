package dev.ferry.vm.state;

/** One disk as a migration's configuration check sees it: both sides must agree on all of it. */
public record DiskConfig(String id, long size, boolean readOnly) {
}
