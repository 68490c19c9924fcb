package dev.ferry.monitor.hmp;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import dev.ferry.savevm.MigrationStats;
import picocli.CommandLine;

/**
 * The human monitor: runs one command line at a time against a {@link VmControl} and prints what
 * it answers. Errors are one line and never end the monitor; only {@code quit} does.
 */
public final class Hmp {

    /** How often a foreground {@code migrate} redraws its progress line. */
    private static final Duration PROGRESS_INTERVAL = Duration.ofMillis(250);

    /** Where answers go: the current operator's connection (set on the thread that executes). */
    private PrintWriter out;
    private final boolean terminal;
    private final CommandLine commandLine;
    private volatile boolean quit;

    /**
     * @param terminal whether {@code out} is a terminal: a foreground migrate then redraws one
     *     progress line instead of printing a line per update
     */
    public Hmp(VmControl control, PrintWriter out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
        this.commandLine = new CommandLine(new HmpCommands.Root(control, this));
        StringWriter discard = new StringWriter();
        commandLine.setOut(new PrintWriter(discard));
        commandLine.setErr(new PrintWriter(discard));
        commandLine.setParameterExceptionHandler((e, args) -> {
            String name = e.getCommandLine().getCommandSpec().qualifiedName(" ").trim();
            if (e instanceof CommandLine.UnmatchedArgumentException unmatched && !unmatched.getUnmatched().isEmpty()
                    && e.getCommandLine().getSubcommands().size() > 0) {
                String what = (name.isEmpty() ? "" : name + " ") + unmatched.getUnmatched().get(0);
                print("unknown command '" + what + "' (try 'help" + (name.isEmpty() ? "" : " " + name) + "')");
            } else {
                print((name.isEmpty() ? "" : name + ": ") + firstLine(e.getMessage()) + " (try 'help " + name + "')");
            }
            return 1;
        });
        commandLine.setExecutionExceptionHandler((e, cl, parsed) -> {
            print(e instanceof MonitorException ? e.getMessage() : cl.getCommandName() + ": " + describe(e));
            return 1;
        });
    }

    /**
     * Answers on {@code out} from now on: a socket monitor serves one connection after another
     * with the same commands.
     */
    void answerOn(PrintWriter out) {
        this.out = out;
    }

    /** Runs one line; returns false once the monitor should end. */
    public boolean execute(String line) {
        List<String> words;
        try {
            words = LineTokenizer.split(line);
        } catch (IllegalArgumentException e) {
            print(e.getMessage());
            return !quit;
        }
        if (!words.isEmpty()) {
            commandLine.execute(words.toArray(String[]::new));
        }
        out.flush();
        return !quit;
    }

    void quit() {
        quit = true;
    }

    void print(String line) {
        out.println(line);
        out.flush();
    }

    /**
     * {@code help}: the command list; {@code help info}: info's list; {@code help info migrate} or
     * {@code help migrate}: one command's usage. A word that is only an info topic
     * ({@code help block}) shows {@code info block}.
     */
    void help(List<String> path) throws MonitorException {
        CommandLine command = commandLine;
        for (String word : path) {
            CommandLine sub = command.getSubcommands().get(word);
            if (sub == null && command == commandLine && path.size() == 1) {
                sub = commandLine.getSubcommands().get("info").getSubcommands().get(word);
            }
            if (sub == null) {
                throw new MonitorException("help: unknown command '" + String.join(" ", path) + "'");
            }
            command = sub;
        }
        if (command.getSubcommands().isEmpty()) {
            StringWriter usage = new StringWriter();
            command.usage(new PrintWriter(usage), CommandLine.Help.Ansi.OFF);
            // The root command has no name: drop the gap it leaves after "Usage: ".
            usage.toString().replaceFirst("^Usage: +", "Usage: ").lines().forEach(this::print);
            return;
        }
        String prefix = command == commandLine ? "" : command.getCommandName() + " ";
        command.getSubcommands().values().stream().distinct().forEach(sub -> print(String.format(Locale.ROOT,
                "%-22s %s", prefix + sub.getCommandName(), String.join(" ", sub.getCommandSpec().usageMessage().description()))));
    }

    /** A foreground migrate: shows progress until the migration ends. */
    void follow(VmControl control) throws MonitorException {
        try {
            while (true) {
                MigrationInfo info = control.migrationInfo();
                if (info.source().isPresent() && info.source().get().stats().state().isFinal()) {
                    if (terminal) {
                        out.print("\r\033[K");
                    }
                    print("Migration status: " + info.status() + info.failure().map(f -> " (" + f + ")").orElse(""));
                    return;
                }
                info.source().ifPresent(source -> progress(source.stats()));
                Thread.sleep(PROGRESS_INTERVAL);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MonitorException("migrate: interrupted while waiting; the migration goes on (see 'info migrate')");
        }
    }

    private void progress(MigrationStats stats) {
        String line = String.format(Locale.ROOT, "%s: sent %s, remaining %s, %s/s",
                stats.state().status(), Sizes.human(stats.transferredBytes()), Sizes.human(stats.remainingBytes()),
                Sizes.human(stats.throughput()));
        if (terminal) {
            out.print("\r\033[K" + line);
            out.flush();
        }
    }

    private static String describe(Exception e) {
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : firstLine(message);
    }

    private static String firstLine(String text) {
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }
}
