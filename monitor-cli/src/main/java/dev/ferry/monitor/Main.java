package dev.ferry.monitor;

import picocli.CommandLine;

/** Entry point of the {@code ferry} command. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit status; tests call this. */
    static int run(String... args) {
        Logging.configure(args);
        CommandLine commandLine = new CommandLine(new FerryCommand());
        return commandLine.execute(args);
    }
}
