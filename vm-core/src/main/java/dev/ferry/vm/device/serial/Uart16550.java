package dev.ferry.vm.device.serial;

import dev.ferry.vm.bus.BusDevice;
import dev.ferry.vm.bus.InterruptLine;
import dev.ferry.vm.device.state.UartState;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;

/**
 * A 16550-compatible UART (8 byte registers, usually at port 0x3f8). The transmitter is always
 * ready: each byte goes straight to the sink, so the guest never needs to poll LSR. Received bytes
 * ({@link #receive}) wait in a FIFO.
 */
public final class Uart16550 implements BusDevice {

    /** Ports the device decodes. */
    public static final int LENGTH = 8;

    private static final int IER_RX = 0x01;
    private static final int IER_THR = 0x02;
    private static final int IIR_NONE = 0x01;
    private static final int IIR_THR = 0x02;
    private static final int IIR_RX = 0x04;
    private static final int IIR_FIFO = 0xc0;
    private static final int LCR_DLAB = 0x80;
    private static final int LSR_DR = 0x01;
    private static final int LSR_THRE_TEMT = 0x60;
    private static final int MSR_CONNECTED = 0xb0; // DCD, DSR, CTS: a peer is always there
    private static final int MCR_LOOP = 0x10;
    private static final int MAX_RX = 4096;

    private final UartSink sink;
    private final InterruptLine irq;
    private int ier;
    private int lcr = 0x03;
    private int mcr = 0x08;
    private int scr;
    private int fcr;
    private int dll = 0x0c;
    private int dlm;
    private boolean thrPending;
    private final ArrayDeque<Byte> rx = new ArrayDeque<>();

    /**
     * A UART at its reset state that writes to {@code sink} and raises {@code irq}.
     *
     * @param sink where transmitted bytes go
     * @param irq the interrupt line, raised while an enabled interrupt is pending
     */
    public Uart16550(UartSink sink, InterruptLine irq) {
        this.sink = sink;
        this.irq = irq;
    }

    @Override
    public synchronized void read(long offset, MemorySegment data) {
        data.fill((byte) 0);
        data.set(ValueLayout.JAVA_BYTE, 0, (byte) readRegister((int) offset));
    }

    @Override
    public synchronized void write(long offset, MemorySegment data) {
        writeRegister((int) offset, data.get(ValueLayout.JAVA_BYTE, 0) & 0xff);
    }

    /**
     * Queues bytes for the guest to read (console input); the overflow beyond 4 KiB is dropped.
     *
     * @param bytes the bytes, in order
     */
    public synchronized void receive(byte[] bytes) {
        for (byte b : bytes) {
            if (rx.size() < MAX_RX) {
                rx.add(b);
            }
        }
        if ((ier & IER_RX) != 0 && !rx.isEmpty()) {
            irq.trigger();
        }
    }

    private int readRegister(int reg) {
        boolean dlab = (lcr & LCR_DLAB) != 0;
        return switch (reg) {
            case 0 -> dlab ? dll : rx.isEmpty() ? 0 : rx.poll() & 0xff;
            case 1 -> dlab ? dlm : ier;
            case 2 -> interruptId();
            case 3 -> lcr;
            case 4 -> mcr;
            case 5 -> LSR_THRE_TEMT | (rx.isEmpty() ? 0 : LSR_DR);
            case 6 -> modemStatus();
            case 7 -> scr;
            default -> 0xff;
        };
    }

    /**
     * In loopback (MCR bit 4) the modem outputs come back as inputs, which Linux's 8250 driver
     * tests when it probes a port: RTS to CTS, DTR to DSR, OUT1 to RI, OUT2 to DCD.
     */
    private int modemStatus() {
        if ((mcr & MCR_LOOP) == 0) {
            return MSR_CONNECTED;
        }
        return (mcr & 0x02) << 3 | (mcr & 0x01) << 5 | (mcr & 0x04) << 4 | (mcr & 0x08) << 4;
    }

    private int interruptId() {
        int fifo = (fcr & 1) != 0 ? IIR_FIFO : 0;
        if ((ier & IER_RX) != 0 && !rx.isEmpty()) {
            return fifo | IIR_RX;
        }
        if ((ier & IER_THR) != 0 && thrPending) {
            thrPending = false; // reading IIR acknowledges the transmitter interrupt
            return fifo | IIR_THR;
        }
        return fifo | IIR_NONE;
    }

    private void writeRegister(int reg, int value) {
        boolean dlab = (lcr & LCR_DLAB) != 0;
        switch (reg) {
            case 0 -> {
                if (dlab) {
                    dll = value;
                } else {
                    sink.accept((byte) value);
                    raiseThr();
                }
            }
            case 1 -> {
                if (dlab) {
                    dlm = value;
                } else {
                    int enabled = value & ~ier;
                    ier = value & 0x0f;
                    if ((enabled & IER_THR) != 0) {
                        raiseThr(); // enabling it with an empty transmitter interrupts at once
                    }
                }
            }
            case 2 -> {
                fcr = value & 0xc9;
                if ((value & 0x02) != 0) {
                    rx.clear();
                }
            }
            case 3 -> lcr = value;
            case 4 -> mcr = value & 0x1f;
            case 7 -> scr = value;
            default -> { } // LSR and MSR are read-only
        }
    }

    private void raiseThr() {
        if ((ier & IER_THR) != 0) {
            thrPending = true;
            irq.trigger();
        }
    }

    /**
     * The registers, for a snapshot taken while the vCPUs are paused.
     *
     * @return the registers and unread bytes
     */
    public synchronized UartState state() {
        byte[] fifo = new byte[rx.size()];
        int i = 0;
        for (byte b : rx) {
            fifo[i++] = b;
        }
        return new UartState(ier, lcr, mcr, scr, fcr, dll, dlm, thrPending, fifo);
    }

    /**
     * Takes a snapshot's registers (the record validated them when it was built).
     *
     * @param state from {@link #state()}
     */
    public synchronized void restore(UartState state) {
        ier = state.ier() & 0x0f;
        lcr = state.lcr();
        mcr = state.mcr() & 0x1f;
        scr = state.scr();
        fcr = state.fcr();
        dll = state.dll();
        dlm = state.dlm();
        thrPending = state.thrInterruptPending();
        rx.clear();
        for (byte b : state.rxFifo()) {
            rx.add(b);
        }
    }

    @Override
    public String toString() {
        return "uart16550";
    }
}
