package io.reloc.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IscsiOptionsTest {
    @TempDir
    Path dir;

    @Test
    void noIscsiFlagMeansNoFrontEnd() {
        assertTrue(new IscsiOptions().frontEnd(dir).isEmpty());
    }

    @Test
    void secretsComeFromTheFileAndTheCommandLineWins() throws Exception {
        Path file = dir.resolve("secrets");
        Files.writeString(file, "# CHAP\nchap-user = alice\nchap-secret=from-the-file\n\nmutual-chap-user=t\nmutual-chap-secret=s\n");
        IscsiOptions options = new IscsiOptions();
        options.listen = "127.0.0.1:3260";
        options.secretsFile = file;
        options.chapSecret = "from-the-flag";
        FrontEndSpec spec = options.frontEnd(dir).orElseThrow();
        assertEquals("iscsi", spec.protocol());
        assertEquals(Map.of("chap-user", "alice", "chap-secret", "from-the-flag", "mutual-chap-user", "t", "mutual-chap-secret", "s"),
                spec.options());
        assertTrue(!spec.toString().contains("from-the-flag"), "secrets must not show in messages");
    }

    @Test
    void explicitIqnsBecomeFrontEndOptionsAndClientUris() {
        IscsiOptions options = new IscsiOptions();
        options.listen = "127.0.0.1:3260";
        List<ExportSpec> exports = List.of(
                new ExportSpec("vm1", dir.resolve("a.img"), false, "", Optional.of("iqn.2001-04.com.example:vm1")),
                new ExportSpec("vm2", dir.resolve("b.img"), false, ""));
        FrontEndSpec spec = options.frontEnd(dir, exports).orElseThrow();
        assertEquals(Map.of("iqn.vm1", "iqn.2001-04.com.example:vm1"), spec.options());
        ExportServer.Bound bound = new ExportServer.Bound("iscsi", new InetSocketAddress("127.0.0.1", 3260), spec.options());
        assertEquals("iscsi://127.0.0.1:3260/iqn.2001-04.com.example:vm1/0", bound.uri("vm1"));
        assertEquals("iscsi://127.0.0.1:3260/iqn.2026-11.io.reloc:vm2/0", bound.uri("vm2"));
    }

    @Test
    void anExplicitIqnNeedsIscsi() {
        List<ExportSpec> exports = List.of(
                new ExportSpec("vm1", dir.resolve("a.img"), false, "", Optional.of("iqn.2001-04.com.example:vm1")));
        UsageException e = assertThrows(UsageException.class, () -> new IscsiOptions().frontEnd(dir, exports));
        assertEquals("iqn= in --export vm1 needs --iscsi HOST:PORT", e.getMessage());
    }

    @Test
    void badSecretsAreUsageErrors() throws Exception {
        Path file = dir.resolve("secrets");
        Files.writeString(file, "chap-user=alice\npassword=x\n");
        IscsiOptions options = new IscsiOptions();
        options.listen = "127.0.0.1:3260";
        options.secretsFile = file;
        String message = assertThrows(UsageException.class, () -> options.frontEnd(dir)).getMessage();
        assertTrue(message.contains("line 2"), message);

        IscsiOptions half = new IscsiOptions();
        half.listen = "127.0.0.1:3260";
        half.chapUser = "alice";
        assertTrue(assertThrows(UsageException.class, () -> half.frontEnd(dir)).getMessage().contains("both a user and a secret"));

        IscsiOptions orphan = new IscsiOptions();
        orphan.chapUser = "alice";
        assertTrue(assertThrows(UsageException.class, () -> orphan.frontEnd(dir)).getMessage().contains("need --iscsi"));

        IscsiOptions missing = new IscsiOptions();
        missing.listen = "127.0.0.1:3260";
        missing.secretsFile = dir.resolve("nope");
        assertTrue(assertThrows(CliException.class, () -> missing.frontEnd(dir)).getMessage().contains("cannot read the CHAP secrets file"));
    }
}
