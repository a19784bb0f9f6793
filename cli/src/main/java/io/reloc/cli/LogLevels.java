package io.reloc.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Chooses the log level from {@code --verbose}/{@code --quiet} or RELOC_LOG_LEVEL and applies it. */
final class LogLevels {
    static final String ENV = "RELOC_LOG_LEVEL";
    private static final Set<String> NAMES = Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");

    private LogLevels() {}

    /**
     * The level name: flags win over the environment; INFO when neither says.
     *
     * @throws UsageException on both flags or an unknown level in the environment
     */
    static String choose(CliContext.LogSettings settings, Map<String, String> env) {
        if (settings.verbose() && settings.quiet()) {
            throw new UsageException("--verbose and --quiet cannot be used together");
        }
        if (settings.verbose()) {
            return "DEBUG";
        }
        if (settings.quiet()) {
            return "WARN";
        }
        String fromEnv = env.getOrDefault(ENV, "").trim().toUpperCase(Locale.ROOT);
        if (fromEnv.isEmpty()) {
            return "INFO";
        }
        if (!NAMES.contains(fromEnv)) {
            throw new UsageException(ENV + "='" + env.get(ENV) + "' is not a log level: use TRACE, DEBUG, INFO, WARN, ERROR or OFF");
        }
        return fromEnv;
    }

    /** Sets the root logger's level; does nothing when SLF4J is not bound to logback. */
    static void apply(String level) {
        if (LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof Logger root) {
            root.setLevel(Level.toLevel(level));
        }
    }
}
