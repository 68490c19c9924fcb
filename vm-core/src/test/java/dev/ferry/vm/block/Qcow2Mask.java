package dev.ferry.vm.block;

/** The host-offset bits of qcow2 L1 and L2 entries, for tests that damage images on purpose. */
final class Qcow2Mask {

    static final long OFFSET = 0x00ff_ffff_ffff_fe00L;

    private Qcow2Mask() {
    }
}
