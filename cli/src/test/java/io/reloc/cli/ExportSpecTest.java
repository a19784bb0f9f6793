package io.reloc.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExportSpecTest {
    private static final Path HOME = Path.of("/home/ana");
    private static final Path CWD = Path.of("/work/vms");

    private static ExportSpec parse(String value) {
        return ExportSpec.parse(value, HOME, CWD);
    }

    private static String error(String value) {
        return assertThrows(UsageException.class, () -> parse(value)).getMessage();
    }

    @Test
    void parsesNameAndAbsolutePath() {
        assertEquals(new ExportSpec("vm1", Path.of("/data/disk.img"), false, ""), parse("vm1=/data/disk.img"));
    }

    @Test
    void resolvesRelativeAndHomePaths() {
        assertEquals(Path.of("/work/vms/a/disk.img"), parse("vm1=a/./disk.img").path());
        assertEquals(Path.of("/home/ana/disk.img"), parse("vm1=~/disk.img").path());
        assertEquals(Path.of("/work/disk.img"), parse("vm1=../disk.img").path());
    }

    @Test
    void parsesReadOnlyInEitherSpelling() {
        assertTrue(parse("vm2=/b.img,readonly").readOnly());
        assertTrue(parse("vm2=/b.img,ro").readOnly());
    }

    @Test
    void descriptionIsLastAndKeepsCommas() {
        ExportSpec spec = parse("base=/b.img,readonly,description=Debian 12, base image");
        assertEquals(new ExportSpec("base", Path.of("/b.img"), true, "Debian 12, base image"), spec);
        assertEquals("", parse("x=/b.img,description=").description());
    }

    @Test
    void parsesAnExplicitIqn() {
        ExportSpec spec = parse("vm1=/a.img,iqn=iqn.2001-04.com.example:storage.vm1,readonly,description=x, y");
        assertEquals(new ExportSpec("vm1", Path.of("/a.img"), true, "x, y",
                java.util.Optional.of("iqn.2001-04.com.example:storage.vm1")), spec);
        assertEquals(java.util.Optional.empty(), parse("vm1=/a.img").iqn());
    }

    @Test
    void rejectsABadOrRepeatedIqn() {
        String bad = error("vm1=/a.img,iqn=vm1");
        assertTrue(bad.contains("bad iqn= in --export 'vm1=/a.img,iqn=vm1'") && bad.contains("not an iSCSI name"), bad);
        assertTrue(error("vm1=/a.img,iqn=").contains("not an iSCSI name"));
        assertTrue(error("vm1=/a.img,iqn=iqn.2001-04.com.a:x,iqn=iqn.2001-04.com.a:y").contains("iqn= is given twice"));
    }

    @Test
    void rejectsMissingEquals() {
        assertEquals("bad --export 'vm1': expected NAME=PATH[,readonly][,iqn=IQN][,description=TEXT]", error("vm1"));
    }

    @Test
    void rejectsEmptyPath() {
        assertTrue(error("vm1=").contains("the path is empty"));
        assertTrue(error("vm1=,readonly").contains("the path is empty"));
    }

    @Test
    void rejectsBadNames() {
        for (String bad : List.of("=/a.img", "vm 1=/a.img", "-x=/a.img", "a/b=/a.img", "x".repeat(65) + "=/a.img")) {
            assertTrue(error(bad).startsWith("bad export name"), bad);
        }
    }

    @Test
    void rejectsUnknownOptionAndNamesTheKnownOnes() {
        assertEquals("unknown export option 'rw' in --export 'vm1=/a.img,rw'; known options: readonly, iqn=IQN, description=TEXT",
                error("vm1=/a.img,rw"));
        assertTrue(error("vm1=/a.img,readonly,").contains("empty option"));
    }

    @Test
    void serveRejectsDuplicateNamesAndPaths() {
        String dupName = assertThrows(UsageException.class,
                () -> ServeCommand.parseExports(List.of("vm1=/a.img", "vm1=/b.img"), HOME, CWD)).getMessage();
        assertEquals("export name 'vm1' is given twice: each --export needs its own NAME", dupName);
        String dupPath = assertThrows(UsageException.class,
                () -> ServeCommand.parseExports(List.of("vm1=/a.img", "vm2=/x/../a.img"), HOME, CWD)).getMessage();
        assertTrue(dupPath.contains("'vm1' and 'vm2' both serve /a.img"), dupPath);
        assertThrows(UsageException.class, () -> ServeCommand.parseExports(List.of(), HOME, CWD));
        assertEquals(2, ServeCommand.parseExports(List.of("vm1=/a.img", "vm2=/b.img,ro"), HOME, CWD).size());
    }
}
