package dev.ferry.vm.device.serial;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.vm.device.state.UartState;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class Uart16550Test {

    private final MemoryUartSink sink = new MemoryUartSink();
    private final AtomicInteger irqs = new AtomicInteger();
    private final Uart16550 uart = new Uart16550(sink, irqs::incrementAndGet);
    private final MemorySegment b = Arena.ofAuto().allocate(1);

    private void out(int reg, int value) {
        b.set(ValueLayout.JAVA_BYTE, 0, (byte) value);
        uart.write(reg, b);
    }

    private int in(int reg) {
        uart.read(reg, b);
        return b.get(ValueLayout.JAVA_BYTE, 0) & 0xff;
    }

    @Test
    void transmitsToTheSinkAndIsAlwaysReady() throws InterruptedException {
        for (byte c : "ferry-guest: hi\n".getBytes(StandardCharsets.US_ASCII)) {
            assertEquals(0x60, in(5) & 0x60, "THRE and TEMT");
            out(0, c);
        }
        assertEquals("ferry-guest: hi", sink.awaitLine(l -> l.startsWith("ferry"), Duration.ofSeconds(1)).orElseThrow());
        assertEquals(0, irqs.get(), "no interrupt unless enabled");
    }

    @Test
    void divisorLatchAndScratchDoNotTransmit() {
        out(3, 0x83);
        out(0, 0x01);
        out(1, 0x00);
        assertEquals(0x01, in(0));
        out(3, 0x03);
        out(7, 0xa5);
        assertEquals(0xa5, in(7));
        assertEquals("", sink.text());
    }

    @Test
    void loopbackReflectsTheModemOutputsAsLinuxProbesThem() {
        assertEquals(0xb0, in(6), "a peer is there: DCD, DSR, CTS");
        out(4, 0x10 | 0x0a); // loop, OUT2, RTS: Linux's 8250 autoconfig expects DCD and CTS back
        assertEquals(0x90, in(6) & 0xf0);
        out(4, 0x10 | 0x05); // loop, OUT1, DTR
        assertEquals(0x60, in(6) & 0xf0);
        out(4, 0x08);
        assertEquals(0xb0, in(6));
    }

    @Test
    void transmitterInterruptWhenEnabledAndAcknowledgedByIir() {
        out(1, 0x02);
        assertEquals(1, irqs.get(), "enabling with an empty transmitter interrupts at once");
        assertEquals(0x02, in(2) & 0x0f);
        assertEquals(0x01, in(2) & 0x0f, "reading IIR acknowledged it");
        out(0, 'x');
        assertEquals(2, irqs.get());
    }

    @Test
    void receivesInput() {
        out(1, 0x01);
        uart.receive("ok".getBytes(StandardCharsets.US_ASCII));
        assertEquals(1, irqs.get());
        assertEquals(0x04, in(2) & 0x0f);
        assertEquals(1, in(5) & 1);
        assertEquals('o', in(0));
        assertEquals('k', in(0));
        assertEquals(0, in(5) & 1);
    }

    @Test
    void stateRoundTripsAndIsValidated() {
        out(3, 0x83);
        out(0, 0x03);
        out(3, 0x1b);
        out(7, 0x42);
        out(1, 0x01);
        uart.receive(new byte[] {1, 2, 3});
        in(0);
        UartState s = uart.state();
        Uart16550 copy = new Uart16550(new MemoryUartSink(), () -> { });
        copy.restore(s);
        assertEquals(0x1b, copy.state().lcr());
        assertEquals(0x03, copy.state().dll());
        assertArrayEquals(new byte[] {2, 3}, copy.state().rxFifo());
        var e = assertThrows(IllegalArgumentException.class, () -> new UartState(256, 0, 0, 0, 0, 0, 0, false, new byte[0]));
        assertTrue(e.getMessage().contains("ier"), e.getMessage());
    }
}
