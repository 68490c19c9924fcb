package dev.ferry.vm.device;

/**
 * One 32-bit code the guest wrote to the {@link ExitDevice}: the low byte is the kind, the upper
 * 24 bits its argument (a vector for a panic, a line number for progress, a config offset, the
 * microseconds of an idle wait).
 */
public record GuestReport(Kind kind, int argument) {

    /** What the guest reports; codes match layout.h of the built-in guest. */
    public enum Kind {
        READY(0x01), PROGRESS(0x02), VERIFY_OK(0x03), VERIFY_FAILED(0x04), PANIC(0x05),
        STOP(0x06), CONFIG_ERROR(0x07),
        /** Nothing to do for the argument's microseconds: the VMM may keep the vCPU out of the guest that long. */
        IDLE(0x08), UNKNOWN(0x00);

        private final int code;

        Kind(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }
    }

    /** Decodes a raw code; an unknown kind keeps the whole value as its argument. */
    public static GuestReport decode(int raw) {
        int kind = raw & 0xff;
        for (Kind k : Kind.values()) {
            if (k.code == kind && k != Kind.UNKNOWN) {
                return new GuestReport(k, raw >>> 8);
            }
        }
        return new GuestReport(Kind.UNKNOWN, raw);
    }

    /** The raw code, as the guest writes it. */
    public int encode() {
        return kind == Kind.UNKNOWN ? argument : (argument << 8) | kind.code;
    }
}
