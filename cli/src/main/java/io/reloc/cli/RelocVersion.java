package io.reloc.cli;

import picocli.CommandLine.IVersionProvider;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The version of Reloc, from the build (reloc-version.properties). */
final class RelocVersion {
    private RelocVersion() {}

    static String version() {
        try (InputStream in = RelocVersion.class.getResourceAsStream("/reloc-version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String runtime() {
        return "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ") on "
                + System.getProperty("os.name") + " " + System.getProperty("os.arch");
    }

    /** For {@code reloc --version}. */
    static final class Provider implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"reloc " + version(), runtime()};
        }
    }
}
