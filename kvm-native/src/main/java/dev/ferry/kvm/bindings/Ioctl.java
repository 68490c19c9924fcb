package dev.ferry.kvm.bindings;

/** One ioctl request: the header's name (used in error messages) and its number. */
public record Ioctl(String name, long request) {
}
