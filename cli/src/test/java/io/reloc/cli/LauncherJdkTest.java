package io.reloc.cli;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * How {@code ./reloc} chooses a JDK, with fake JDKs: it only reads their release file or runs
 * their {@code bin/java -version}, and with RELOC_FIND_JDK_ONLY=1 it stops before building.
 */
class LauncherJdkTest {
    @TempDir
    Path dir;

    private Path bin;
    private Path jvms;

    @BeforeEach
    void tools() throws IOException {
        // A PATH with the tools the launcher needs and no java on it, unless a test adds one.
        bin = Files.createDirectories(dir.resolve("bin"));
        for (String tool : List.of("readlink", "dirname", "sed", "head", "sort", "cut", "find", "bash", "env")) {
            Path real = which(tool);
            Files.createSymbolicLink(bin.resolve(tool), real);
        }
        jvms = Files.createDirectories(dir.resolve("jvm"));
    }

    private static Path which(String tool) {
        for (String d : List.of("/usr/bin", "/bin", "/usr/local/bin")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return Path.of(d, tool);
            }
        }
        return fail(tool + " not found");
    }

    /** A fake JDK whose version is in its release file, or only in what bin/java -version says. */
    private Path jdk(Path home, String version, boolean releaseFile) throws IOException {
        Files.createDirectories(home.resolve("bin"));
        if (releaseFile) {
            Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"Test\"\nJAVA_VERSION=\"" + version + "\"\n");
        }
        Path java = home.resolve("bin/java");
        Files.writeString(java, "#!/bin/sh\necho 'openjdk version \"" + version + "\" 2025-10-21' >&2\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        return home;
    }

    private record Result(int status, String out, String err) {}

    private Result launch(Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(RelocProcess.LAUNCHER.toString(), "version");
        pb.environment().clear();
        pb.environment().put("PATH", bin.toString());
        pb.environment().put("RELOC_JVM_DIR", jvms.toString());
        pb.environment().put("RELOC_FIND_JDK_ONLY", "1");
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(1, TimeUnit.MINUTES), "launcher hung");
        return new Result(p.exitValue(), out, err);
    }

    @Test
    void tooOldEverywhereIsOneLineNamingWhatWasFound() throws Exception {
        Path home17 = jdk(dir.resolve("jdk17"), "17.0.15", true);
        Path old = jdk(jvms.resolve("java-8"), "1.8.0_292", false);
        Result r = launch(Map.of("JAVA_HOME", home17.toString()));
        assertEquals(1, r.status());
        assertEquals("", r.out());
        assertEquals("reloc: needs a JDK 25 or newer, found: " + home17 + " (17), " + old + " (8). Install one (e.g. Temurin 25 under "
                + jvms + ") or set JAVA_HOME to it.", r.err());
    }

    @Test
    void nothingAtAllSaysNothing() throws Exception {
        Result r = launch(Map.of());
        assertEquals(1, r.status());
        assertTrue(r.err().startsWith("reloc: needs a JDK 25 or newer, found: nothing."), r.err());
    }

    @Test
    void javaHomeComesFirst() throws Exception {
        Path home25 = jdk(dir.resolve("jdk25"), "25.0.1", true);
        jdk(jvms.resolve("jdk-26"), "26", true);
        assertEquals(home25.toString(), launch(Map.of("JAVA_HOME", home25.toString())).out());
    }

    @Test
    void javaOnPathComesBeforeInstalledJdks() throws Exception {
        Path home25 = jdk(dir.resolve("jdk25"), "25", false);
        jdk(jvms.resolve("jdk-26"), "26", true);
        Files.createSymbolicLink(bin.resolve("java"), home25.resolve("bin/java"));
        assertEquals(home25.toString(), launch(Map.of()).out());
    }

    @Test
    void newestInstalledJdkWinsWhenJavaHomeAndPathAreTooOld() throws Exception {
        Path home17 = jdk(dir.resolve("jdk17"), "17.0.15", true);
        jdk(jvms.resolve("java-17"), "17.0.15", true);
        jdk(jvms.resolve("temurin-25"), "25.0.3", true);
        Path newest = jdk(jvms.resolve("temurin-26"), "26-ea", false);
        Files.createSymbolicLink(bin.resolve("java"), home17.resolve("bin/java"));
        assertEquals(newest.toString(), launch(Map.of("JAVA_HOME", home17.toString())).out());
    }
}
