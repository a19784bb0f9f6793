package io.reloc.api;

import java.util.List;
import java.util.Optional;

/**
 * The exports a front end serves, looked up at each client connection so that exports may be added
 * or removed while a server runs. Implementations are thread safe.
 */
public interface ExportCatalog {

    Optional<Export> find(String name);

    /** Every export, in a stable order (the order they were added). */
    List<Export> list();

    /** The export a client gets when it asks for the empty name, if there is one. */
    default Optional<Export> defaultExport() {
        List<Export> all = list();
        return all.size() == 1 ? Optional.of(all.get(0)) : find("");
    }
}
