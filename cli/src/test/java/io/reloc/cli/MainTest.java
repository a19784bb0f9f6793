package io.reloc.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The whole command line, run in-process with captured output and fake plugins. */
class MainTest {
    @TempDir
    Path dir;

    private final FakePlugins fake = new FakePlugins();
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private Map<String, String> env = Map.of();

    private int run(String... args) {
        CliContext context = new CliContext(new PrintWriter(out, true), new PrintWriter(err, true), env, dir, dir,
                fake::plugins, new CliContext.LogSettings());
        return new Main(context).run(args);
    }

    private String firstErrLine() {
        return err.toString().lines().findFirst().orElse("");
    }

    private Path image() throws IOException {
        Path path = dir.resolve("disk.img");
        Files.write(path, new byte[8192]);
        return path;
    }

    @Test
    void helpWorksOnEveryCommand() {
        for (String[] args : new String[][] {{"--help"}, {"serve", "--help"}, {"demo", "--help"}, {"version", "--help"}, {"serve", "-h"}}) {
            out.getBuffer().setLength(0);
            assertEquals(0, run(args), String.join(" ", args));
            assertTrue(out.toString().startsWith("Usage: reloc"), out.toString());
        }
        assertTrue(out.toString().contains("--export"), "serve's help names its options");
    }

    @Test
    void noCommandIsAUsageError() {
        assertEquals(ExitCodes.USAGE, run());
        assertEquals("reloc: missing command", firstErrLine());
        assertTrue(err.toString().contains("Usage: reloc"));
    }

    @Test
    void unknownFlagPrintsOneLineThenUsage() {
        assertEquals(ExitCodes.USAGE, run("serve", "--bogus", "--export", "a=x.img"));
        assertEquals("reloc serve: Unknown option: '--bogus'", firstErrLine());
        assertTrue(err.toString().contains("Usage: reloc serve"));
    }

    @Test
    void badExportSyntaxIsAUsageError() {
        assertEquals(ExitCodes.USAGE, run("serve", "--export", "vm1"));
        assertEquals("reloc serve: bad --export 'vm1': expected NAME=PATH[,readonly][,iqn=IQN][,description=TEXT]", firstErrLine());
    }

    @Test
    void unknownExportOptionIsAUsageError() {
        assertEquals(ExitCodes.USAGE, run("serve", "--export", "vm1=a.img,sparse"));
        assertTrue(firstErrLine().startsWith("reloc serve: unknown export option 'sparse'"), firstErrLine());
    }

    @Test
    void duplicateExportNamesAreAUsageError() {
        assertEquals(ExitCodes.USAGE, run("serve", "--export", "vm1=a.img", "--export", "vm1=b.img"));
        assertEquals("reloc serve: export name 'vm1' is given twice: each --export needs its own NAME", firstErrLine());
    }

    @Test
    void badListenAddressIsAUsageError() {
        assertEquals(ExitCodes.USAGE, run("serve", "--listen", "10809", "--export", "vm1=a.img"));
        assertTrue(firstErrLine().startsWith("reloc serve: bad listen address '10809'"), firstErrLine());
    }

    @Test
    void missingImageIsOneLineAndExitOne() {
        assertEquals(ExitCodes.RUNTIME, run("serve", "--export", "vm1=missing.img"));
        assertEquals("reloc serve: image file " + dir.resolve("missing.img") + " does not exist (export 'vm1'): "
                + "check the path, or create it, e.g. truncate -s 1G " + dir.resolve("missing.img"), err.toString().strip());
        assertEquals(1, err.toString().lines().count());
        assertEquals(0, fake.events.size(), "nothing was opened");
    }

    @Test
    void directoryIsOneLineAndExitOne() {
        assertEquals(ExitCodes.RUNTIME, run("serve", "--export", "vm1=."));
        assertEquals("reloc serve: " + dir + " is a directory (export 'vm1'): --export needs a disk image file", err.toString().strip());
    }

    @Test
    void verboseAddsTheStackTrace() {
        assertEquals(ExitCodes.RUNTIME, run("-v", "serve", "--export", "vm1=missing.img"));
        assertTrue(err.toString().contains("at io.reloc.cli."), err.toString());
        assertTrue(err.toString().lines().count() > 1);
    }

    @Test
    void verboseAndQuietTogetherIsAUsageError() {
        assertEquals(ExitCodes.USAGE, run("--verbose", "version", "--quiet"));
        assertEquals("reloc version: --verbose and --quiet cannot be used together", firstErrLine());
    }

    @Test
    void badLogLevelInTheEnvironmentIsAUsageError() {
        env = Map.of("RELOC_LOG_LEVEL", "loud");
        assertEquals(ExitCodes.USAGE, run("version"));
        assertTrue(firstErrLine().startsWith("reloc version: RELOC_LOG_LEVEL='loud' is not a log level"), firstErrLine());
    }

    @Test
    void versionPrintsTheVersionAndThePlugins() {
        assertEquals(0, run("version"));
        assertTrue(out.toString().startsWith("reloc "), out.toString());
        assertTrue(out.toString().contains("front ends: nbd"), out.toString());
        assertTrue(out.toString().contains("stores: file"), out.toString());
    }

    @Test
    void serveForADurationPrintsTheUriAndStopsCleanly() throws IOException {
        image();
        assertEquals(0, run("-q", "serve", "--listen", "127.0.0.1:0", "--export", "vm1=disk.img", "--duration", "1"));
        assertEquals("serving nbd://127.0.0.1:4242/vm1 (8 KiB, read-write)", out.toString().strip());
        assertEquals(java.util.List.of("open disk.img", "start nbd 1 exports", "close nbd", "flush disk.img", "close disk.img"), fake.events);
        assertEquals("", err.toString());
    }

    @Test
    void serveOffersTheRelocationChannelAsAsked() throws IOException {
        image();
        assertEquals(0, run("-q", "serve", "--listen", "127.0.0.1:0", "--export", "vm1=disk.img", "--duration", "1"));
        assertEquals(java.util.Map.of("reloc-channel", "adaptive"), fake.nbdOptions);
        assertEquals(0, run("-q", "serve", "--listen", "127.0.0.1:0", "--export", "vm1=disk.img", "--duration", "1",
                "--reloc-channel", "off"));
        assertEquals(java.util.Map.of("reloc-channel", "off"), fake.nbdOptions);
    }

    @Test
    void anUnknownRelocationChannelModeIsAUsageError() throws IOException {
        image();
        assertEquals(ExitCodes.USAGE, run("serve", "--export", "vm1=disk.img", "--reloc-channel", "fast"));
        assertEquals("reloc serve: --reloc-channel must be adaptive, on or off: 'fast'", firstErrLine());
        assertTrue(fake.events.isEmpty(), "nothing was opened: " + fake.events);
    }

    @Test
    void pluginLoadingFailureIsOneLine() throws IOException {
        image();
        CliContext context = new CliContext(new PrintWriter(out, true), new PrintWriter(err, true), env, dir, dir,
                () -> { throw new io.reloc.core.plugin.PluginException("cannot load plugins: front end 'nbd' is contributed twice"); },
                new CliContext.LogSettings());
        assertEquals(ExitCodes.RUNTIME, new Main(context).run("serve", "--export", "vm1=disk.img"));
        assertEquals("reloc serve: cannot load plugins: front end 'nbd' is contributed twice", err.toString().strip());
    }

    @Test
    void busyPortIsOneLineAndExitOne() throws IOException {
        image();
        fake.portBusy = true;
        assertEquals(ExitCodes.RUNTIME, run("-q", "serve", "--export", "vm1=disk.img"));
        assertEquals("reloc serve: address 127.0.0.1:10809 is already in use: stop the other server or choose another --listen",
                err.toString().strip());
        assertFalse(err.toString().contains("Exception"));
    }

    @Test
    void demoRejectsServeOptionsWithoutServeOnlyAndBadLinks() {
        assertEquals(ExitCodes.USAGE, run("demo", "--listen", "127.0.0.1:0"));
        assertEquals("reloc demo: --listen and --duration apply to --serve-only; the relocation demo uses ports chosen by the system",
                firstErrLine());
        err.getBuffer().setLength(0);
        assertEquals(ExitCodes.USAGE, run("demo", "--rtt", "soon"));
        assertTrue(firstErrLine().startsWith("reloc demo: 'soon' is not a duration"), firstErrLine());
        err.getBuffer().setLength(0);
        assertEquals(ExitCodes.USAGE, run("demo", "--iops", "0"));
        assertFalse(Files.exists(dir.resolve("reloc-demo")), "nothing written before the options are checked");
    }
}
