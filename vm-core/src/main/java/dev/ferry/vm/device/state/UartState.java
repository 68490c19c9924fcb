package dev.ferry.vm.device.state;

/**
 * A 16550 UART's registers at a pause. Each register field holds one byte (0..255).
 *
 * @param ier interrupt enable register
 * @param lcr line control register
 * @param mcr modem control register
 * @param scr scratch register
 * @param fcr FIFO control register
 * @param dll divisor latch, low byte
 * @param dlm divisor latch, high byte
 * @param rxFifo bytes received but not yet read by the guest, oldest first
 * @param thrInterruptPending a transmitter-empty interrupt the guest has not yet seen
 */
public record UartState(int ier, int lcr, int mcr, int scr, int fcr, int dll, int dlm,
                        boolean thrInterruptPending, byte[] rxFifo) {

    /** Bumped only on an incompatible change of this record. */
    public static final int VERSION = 1;

    /** Checks a state from a stream before a device takes it. */
    public UartState {
        checkByte("ier", ier);
        checkByte("lcr", lcr);
        checkByte("mcr", mcr);
        checkByte("scr", scr);
        checkByte("fcr", fcr);
        checkByte("dll", dll);
        checkByte("dlm", dlm);
        if (rxFifo == null || rxFifo.length > 4096) {
            throw new IllegalArgumentException("uart state: rxFifo missing or longer than 4096 bytes");
        }
        rxFifo = rxFifo.clone();
    }

    /**
     * The received bytes not yet read, as a copy.
     *
     * @return bytes, oldest first
     */
    @Override
    public byte[] rxFifo() {
        return rxFifo.clone();
    }

    private static void checkByte(String name, int value) {
        if (value < 0 || value > 0xff) {
            throw new IllegalArgumentException("uart state: " + name + " = " + value + " is not a byte");
        }
    }
}
