package io.reloc.nbd.interop;

import org.junit.jupiter.api.Tag;

import java.nio.file.Path;

/** The interop checks against Reloc's NBD front end serving {@code file} stores. */
@Tag("interop")
class RelocNbdInteropTest extends NbdClientInteropContract {
    @Override
    protected NbdTarget newTarget(Path workDir) {
        return new RelocTarget();
    }
}
