package io.reloc.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code --verbose} and {@code --quiet}, mixed into every command so that they may be given before
 * or after the subcommand. They record into the root command's {@link CliContext.LogSettings}.
 */
public final class LoggingOptions {
    @Spec(Spec.Target.MIXEE)
    private CommandSpec mixee;

    // Setters only ever switch a flag on: picocli calls them with the default (false) when it
    // reaches a subcommand, which must not undo a flag given before the subcommand.
    @Option(names = {"-v", "--verbose"}, description = "Log debug messages and show stack traces of errors.")
    void setVerbose(boolean on) {
        if (on) {
            settings().setVerbose();
        }
    }

    @Option(names = {"-q", "--quiet"}, description = "Log only warnings and errors.")
    void setQuiet(boolean on) {
        if (on) {
            settings().setQuiet();
        }
    }

    private CliContext.LogSettings settings() {
        return ((RelocCommand) mixee.root().userObject()).context().logging();
    }
}
