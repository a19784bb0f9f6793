package io.reloc.nbd.interop;

import org.junit.jupiter.api.Tag;

import java.nio.file.Path;

/**
 * The interop checks against nbdkit's file plugin. They must all pass here: a check that fails
 * against the reference server is a wrong check, not a Reloc bug.
 */
@Tag("interop")
class NbdkitReferenceInteropTest extends NbdClientInteropContract {
    @Override
    protected NbdTarget newTarget(Path workDir) {
        return new NbdkitTarget(workDir);
    }
}
