package dev.ferry.vm.device;

import dev.ferry.vm.bus.BusDevice;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.Consumer;

/**
 * The port (0x501 for the built-in guest) through which a guest reports results and asks to be
 * stopped. Each 32-bit write becomes a {@link GuestReport} handed to the listener on the vCPU
 * thread; the listener decides (for {@code STOP} or {@code PANIC}) to stop the machine. It holds
 * no state, so it needs none in a snapshot. Reads return 0.
 */
public final class ExitDevice implements BusDevice {

    public static final int PORT = 0x501;
    public static final int LENGTH = 4;

    private final Consumer<GuestReport> listener;

    public ExitDevice(Consumer<GuestReport> listener) {
        this.listener = listener;
    }

    @Override
    public void read(long offset, MemorySegment data) {
        data.fill((byte) 0);
    }

    @Override
    public void write(long offset, MemorySegment data) {
        int raw = switch ((int) data.byteSize()) {
            case 1 -> data.get(ValueLayout.JAVA_BYTE, 0) & 0xff;
            case 2 -> data.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0) & 0xffff;
            default -> data.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
        };
        listener.accept(GuestReport.decode(raw));
    }

    @Override
    public String toString() {
        return "exit device";
    }
}
