package io.reloc.bench.workload;

import java.io.IOException;

/** Where the driver gets a connection for each request, and gives it back when the reply has come. */
public interface Connections {
    /** A connection no other request uses until it is given back. */
    BlockClient take() throws IOException;

    void give(BlockClient client);
}
