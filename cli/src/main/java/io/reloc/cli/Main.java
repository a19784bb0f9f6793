package io.reloc.cli;

import io.reloc.core.plugin.PluginException;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.RunLast;
import picocli.CommandLine.UnmatchedArgumentException;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Entry point of the {@code reloc} command. Errors are one line on stderr ("reloc: …") and an exit
 * status from {@link ExitCodes}; usage errors are followed by the command's usage; stack traces
 * only with {@code --verbose}.
 */
public final class Main {
    private final CliContext context;

    public Main(CliContext context) {
        this.context = requireNonNull(context, "context is null");
    }

    public static void main(String[] args) {
        System.exit(new Main(CliContext.system()).run(args));
    }

    /** Parses and runs; returns the exit status. Blocks while a server runs. */
    public int run(String... args) {
        return commandLine().execute(args);
    }

    CommandLine commandLine() {
        CommandLine cl = new CommandLine(new RelocCommand(context));
        cl.addSubcommand(new CommandLine(new ServeCommand(context)));
        cl.addSubcommand(new CommandLine(new ProxyCommand(context)));
        cl.addSubcommand(new CommandLine(new CtlCommand(context)));
        cl.addSubcommand(new CommandLine(new StatusCommand(context)));
        cl.addSubcommand(new CommandLine(new WanCommand(context)));
        cl.addSubcommand(new CommandLine(new DemoCommand(context)));
        cl.addSubcommand(new CommandLine(new VersionCommand(context)));
        cl.setOut(context.out());
        cl.setErr(context.err());
        cl.setExecutionStrategy(this::execute);
        cl.setParameterExceptionHandler(this::usageError);
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> runtimeError(e, commandLine));
        return cl;
    }

    private int execute(ParseResult parseResult) {
        List<CommandLine> chain = parseResult.asCommandLineList();
        try {
            LogLevels.apply(LogLevels.choose(context.logging(), context.env()));
        } catch (UsageException e) {
            throw new ParameterException(chain.get(chain.size() - 1), e.getMessage(), e);
        }
        return new RunLast().execute(parseResult);
    }

    private int usageError(ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        context.err().println(prefix(cl) + e.getMessage());
        UnmatchedArgumentException.printSuggestions(e, context.err());
        cl.usage(context.err());
        context.err().flush();
        return ExitCodes.USAGE;
    }

    private int runtimeError(Exception e, CommandLine cl) {
        if (e instanceof UsageException usage) {
            return usageError(new ParameterException(cl, usage.getMessage(), usage), new String[0]);
        }
        // Plugin loading failures already say what is wrong (a duplicate name, a missing jar).
        String message = e instanceof CliException || e instanceof PluginException ? e.getMessage()
                : "unexpected error: " + e + (context.logging().verbose() ? "" : " (run with --verbose for details)");
        context.err().println(prefix(cl) + message);
        if (context.logging().verbose()) {
            e.printStackTrace(context.err());
        }
        context.err().flush();
        return ExitCodes.RUNTIME;
    }

    /** "reloc serve: " for a subcommand, "reloc: " at the top. */
    private static String prefix(CommandLine cl) {
        return cl.getCommandSpec().qualifiedName() + ": ";
    }
}
