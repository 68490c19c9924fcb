package dev.ferry.bench;

import java.io.IOException;

/** One line of the bench table: something run several times, each run giving a {@link RunResult}. */
sealed interface Scenario permits RawCeiling, DemoMigration, QemuBlockMigration {

    /** The letter the issues give it: a to f, and q for QEMU. */
    String id();

    /** What it runs, for the table. */
    String title();

    /** The virtual size of the disk it copies. */
    long diskBytes();

    /** Runs it once; {@code run} numbers the repetitions from 1, for the log names. */
    RunResult run(BenchContext context, int run) throws IOException, InterruptedException, BenchException;
}
