package io.reloc.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

import static java.util.Objects.requireNonNull;

/** The top-level {@code reloc} command; alone it prints usage, since it needs a subcommand. */
@Command(name = "reloc",
        mixinStandardHelpOptions = true,
        versionProvider = RelocVersion.Provider.class,
        description = "Serve virtual disk images over NBD and iSCSI; relocate them live to another site.",
        footer = {"", "Run 'reloc COMMAND --help' for the options of a command.",
                "Exit status: 0 ok, 1 runtime error, 2 usage error."})
public final class RelocCommand implements Callable<Integer> {
    private final CliContext context;

    @Mixin
    private LoggingOptions logging;

    @Spec
    private CommandSpec spec;

    public RelocCommand(CliContext context) {
        this.context = requireNonNull(context, "context is null");
    }

    CliContext context() {
        return context;
    }

    @Override
    public Integer call() {
        context.err().println("reloc: missing command");
        spec.commandLine().usage(context.err());
        return ExitCodes.USAGE;
    }
}
