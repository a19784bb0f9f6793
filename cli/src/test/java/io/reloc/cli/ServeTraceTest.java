package io.reloc.cli;

import io.reloc.bench.trace.TraceCsv;
import io.reloc.bench.trace.TraceRecord;
import io.reloc.bench.workload.NbdClient;
import io.reloc.core.plugin.Plugins;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code reloc serve --trace FILE} records the requests of its clients, and the experiment can replay them. */
class ServeTraceTest {
    @TempDir
    Path dir;

    @Test
    void serveWritesATraceOfEveryClientsRequests() throws Exception {
        Files.write(dir.resolve("disk.img"), new byte[1 << 20]);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CliContext context = new CliContext(new PrintWriter(out, true), new PrintWriter(err, true), Map.of(), dir, dir,
                Plugins::load, new CliContext.LogSettings());
        CompletableFuture<Integer> serving = CompletableFuture.supplyAsync(() -> new Main(context).run("-q", "serve",
                "--listen", "127.0.0.1:0", "--export", "vm1=disk.img", "--trace", "vm1.csv", "--duration", "8"));
        InetSocketAddress address = awaitAddress(out, serving);
        try (NbdClient vm = NbdClient.open(address, "vm1")) {
            vm.write(8192, new byte[4096]);
            vm.read(0, new byte[65536]);
            vm.flush();
        }
        assertEquals(0, serving.get(), out + "\n" + err);
        assertTrue(out.toString().contains("tracing requests to " + dir.resolve("vm1.csv")), out.toString());
        List<TraceRecord> trace = TraceCsv.read(dir.resolve("vm1.csv"));
        assertEquals(List.of("1,write,8192,4096", "1,read,0,65536", "1,flush,0,0"),
                trace.stream().map(r -> r.client() + "," + r.op().csvName() + "," + r.offset() + "," + r.length()).toList());
        assertEquals(TraceCsv.HEADER, Files.readAllLines(dir.resolve("vm1.csv")).get(0));
    }

    private static InetSocketAddress awaitAddress(StringWriter out, CompletableFuture<Integer> serving) throws Exception {
        Pattern uri = Pattern.compile("serving nbd://127\\.0\\.0\\.1:(\\d+)/vm1");
        for (int i = 0; i < 6000; i++) {
            Matcher m = uri.matcher(out.toString());
            if (m.find()) {
                return new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(1)));
            }
            if (serving.isDone()) {
                throw new AssertionError("serve ended early with " + serving.get() + ": " + out);
            }
            Thread.sleep(10);
        }
        throw new AssertionError("serve printed no URI: " + out);
    }
}
