package io.reloc.cli;

import io.reloc.core.plugin.Plugins;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Set;
import java.util.concurrent.Callable;

import static java.util.Objects.requireNonNull;

/** {@code reloc version}: the version, the Java runtime and what the loaded plugins provide. */
@Command(name = "version", mixinStandardHelpOptions = true,
        description = "Print the version of Reloc, the Java runtime and the plugins found.")
final class VersionCommand implements Callable<Integer> {
    private final CliContext context;

    @Mixin
    private LoggingOptions logging;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    private boolean help;

    VersionCommand(CliContext context) {
        this.context = requireNonNull(context, "context is null");
    }

    @Override
    public Integer call() {
        context.out().println("reloc " + RelocVersion.version());
        context.out().println(RelocVersion.runtime());
        Plugins plugins = context.plugins().get();
        context.out().println("front ends: " + list(plugins.frontEnds().names()));
        context.out().println("stores: " + list(plugins.stores().names()));
        context.out().println("codecs: " + list(plugins.codecs().names()));
        context.out().println("source schemes: " + list(plugins.sourceConnectors().names()));
        context.out().println("copy strategies: " + list(plugins.strategies().names()));
        return ExitCodes.OK;
    }

    private static String list(Set<String> names) {
        return names.isEmpty() ? "(none)" : String.join(", ", names);
    }
}
