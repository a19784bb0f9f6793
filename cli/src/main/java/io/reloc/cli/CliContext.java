package io.reloc.cli;

import io.reloc.core.plugin.Plugins;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * What the commands take from the outside world, so that tests can run them with captured output,
 * a chosen environment and fake plugins.
 *
 * @param out what commands print for the user (URIs, client commands)
 * @param err error messages and usage
 * @param env environment variables (RELOC_LOG_LEVEL)
 * @param cwd directory relative paths are resolved against
 * @param home the user's home directory, for {@code ~/}
 * @param plugins loads the plugins when a command needs them
 * @param logging set by {@code --verbose} and {@code --quiet} while parsing
 */
public record CliContext(PrintWriter out, PrintWriter err, Map<String, String> env, Path cwd, Path home,
                         Supplier<Plugins> plugins, LogSettings logging) {
    public CliContext {
        requireNonNull(out, "out is null");
        requireNonNull(err, "err is null");
        env = Map.copyOf(requireNonNull(env, "env is null"));
        requireNonNull(cwd, "cwd is null");
        requireNonNull(home, "home is null");
        requireNonNull(plugins, "plugins is null");
        requireNonNull(logging, "logging is null");
    }

    /** The real process: System.out/err, the real environment, plugins from the class path. */
    public static CliContext system() {
        return new CliContext(new PrintWriter(System.out, true), new PrintWriter(System.err, true), System.getenv(),
                Path.of("").toAbsolutePath(), Path.of(System.getProperty("user.home")), Plugins::load, new LogSettings());
    }

    /** The {@code --verbose}/{@code --quiet} flags; written while parsing, read afterwards. */
    public static final class LogSettings {
        private volatile boolean verbose;
        private volatile boolean quiet;

        public boolean verbose() {
            return verbose;
        }

        public boolean quiet() {
            return quiet;
        }

        void setVerbose() {
            verbose = true;
        }

        void setQuiet() {
            quiet = true;
        }
    }
}
