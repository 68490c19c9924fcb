package dev.ferry.monitor;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ferry}: the top-level command; the work is in its subcommands. */
@Command(
        name = "ferry",
        mixinStandardHelpOptions = true,
        // Subcommands inherit --help/-h and --version, so 'ferry run --help' works as users try it.
        scope = picocli.CommandLine.ScopeType.INHERIT,
        version = "ferry 0.1.0",
        description = "A KVM virtual machine monitor that live-migrates VMs together with their disks.",
        subcommands = {RunCommand.class, DemoCommand.class, ImgCommand.class, picocli.CommandLine.HelpCommand.class})
final class FerryCommand implements Runnable {

    @Option(names = {"-v", "--verbose"}, description = "Log debug messages and show stack traces.", scope = picocli.CommandLine.ScopeType.INHERIT)
    boolean verbose;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
