package dev.ferry.vm.device.rtc;

import dev.ferry.vm.bus.BusDevice;
import dev.ferry.vm.device.state.CmosState;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

/**
 * The PC's MC146818 real-time clock and CMOS RAM at ports 0x70 (index) and 0x71 (data), as far as
 * a Linux guest reads it: the host's UTC time (BCD or binary, as register B asks), never an update
 * in progress, a valid battery, and the rest of the 128 bytes as plain RAM. No alarm or periodic
 * interrupts: kvmclock keeps Linux's time, this only answers its probe and first read of the date.
 */
public final class CmosRtc implements BusDevice {

    /** The index port; data follows at PORT + 1. */
    public static final int PORT = 0x70;
    /** Ports the device decodes. */
    public static final int LENGTH = 2;

    private static final int REG_A = 0x0a;
    private static final int REG_B = 0x0b;
    private static final int REG_C = 0x0c;
    private static final int REG_D = 0x0d;
    private static final int REG_CENTURY = 0x32;
    private static final int B_BINARY = 0x04;
    private static final int B_24H = 0x02;
    private static final int D_VALID = 0x80;
    private static final int A_DIVIDER = 0x26; // 32.768 kHz base, 1024 Hz rate, UIP clear

    private final Clock clock;
    private final byte[] cmos = new byte[CmosState.RAM_BYTES];
    private int index;

    /**
     * @param clock where the time comes from (UTC is shown)
     */
    public CmosRtc(Clock clock) {
        this.clock = clock;
        cmos[REG_A] = A_DIVIDER;
        cmos[REG_B] = B_24H;
    }

    @Override
    public synchronized void read(long offset, MemorySegment data) {
        data.fill((byte) 0);
        data.set(ValueLayout.JAVA_BYTE, 0, (byte) (offset == 0 ? index : register(index)));
    }

    @Override
    public synchronized void write(long offset, MemorySegment data) {
        int value = data.get(ValueLayout.JAVA_BYTE, 0) & 0xff;
        if (offset == 0) {
            index = value & 0x7f; // bit 7 masks NMIs on a PC: nothing to mask here
        } else if (index == REG_A) {
            cmos[REG_A] = (byte) (value & 0x7f); // UIP is read-only
        } else if (index != REG_C && index != REG_D && !isTime(index)) {
            cmos[index] = (byte) value;
        }
    }

    /**
     * The CMOS RAM and selected index, for a migration or snapshot.
     *
     * @return the state
     */
    public synchronized CmosState state() {
        return new CmosState(index, cmos);
    }

    /**
     * Takes a state from {@link #state()} of another clock (the time itself stays the host's).
     *
     * @param state the state
     */
    public synchronized void restore(CmosState state) {
        index = state.index();
        System.arraycopy(state.ram(), 0, cmos, 0, CmosState.RAM_BYTES);
    }

    private int register(int reg) {
        ZonedDateTime now = ZonedDateTime.now(clock.withZone(ZoneOffset.UTC));
        return switch (reg) {
            case 0x00 -> encode(now.getSecond());
            case 0x02 -> encode(now.getMinute());
            case 0x04 -> encode(now.getHour());
            case 0x06 -> encode(now.getDayOfWeek().getValue() % 7 + 1);
            case 0x07 -> encode(now.getDayOfMonth());
            case 0x08 -> encode(now.getMonthValue());
            case 0x09 -> encode(now.getYear() % 100);
            case REG_CENTURY -> encode(now.getYear() / 100);
            case REG_C -> 0;
            case REG_D -> D_VALID;
            default -> cmos[reg] & 0xff;
        };
    }

    private static boolean isTime(int reg) {
        return reg <= 0x09 && reg % 2 == 0 || reg == 0x07 || reg == 0x09 || reg == REG_CENTURY;
    }

    private int encode(int value) {
        return (cmos[REG_B] & B_BINARY) != 0 ? value : (value / 10) << 4 | value % 10;
    }

    @Override
    public String toString() {
        return "cmos-rtc";
    }
}
