package dev.ferry.monitor;

import java.util.Arrays;
import picocli.CommandLine;

/** Entry point of the {@code ferry} command. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit status. */
    static int run(String... args) {
        boolean verbose = Logging.configure(args);
        CommandLine commandLine = new CommandLine(new FerryCommand());
        commandLine.setParameterExceptionHandler((e, ignored) -> {
            CommandLine failed = e.getCommandLine();
            System.err.println("ferry: " + e.getMessage() + " (see '" + failed.getCommandSpec().qualifiedName() + " --help')");
            return 2;
        });
        commandLine.setExecutionExceptionHandler((e, failed, parsed) -> {
            System.err.println("ferry: " + UserErrors.describe(e));
            if (verbose) {
                e.printStackTrace();
            }
            return 1;
        });
        return commandLine.execute(args);
    }

    static boolean verbose(String[] args) {
        return Arrays.stream(args).anyMatch(a -> a.equals("-v") || a.equals("--verbose"));
    }
}
