package io.reloc.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

import static java.util.Objects.requireNonNull;

/** {@code reloc ctl}: drives a running proxy through its control plane. */
@Command(name = "ctl", sortOptions = false,
        description = "Drive a running 'reloc proxy' through its control plane; prints its status as JSON.",
        footer = {"", "Commands:",
                "  status               state, fraction present, fetch counts, source",
                "  activate             switch-over is done: start keeping data and copying",
                "  pause | resume       background copy",
                "  rate SIZE            background copy limit per second, e.g. 50M; 0 for none",
                "  source URI           the source moved, e.g. nbd://10.0.0.7:10809/vm1",
                "  wait [SECONDS]       block until the relocation is complete (exit 1 on timeout)"})
final class CtlCommand implements Callable<Integer> {
    private final CliContext context;

    @Mixin
    private LoggingOptions logging;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    private boolean help;

    @Option(names = "--control", paramLabel = "HOST:PORT", defaultValue = ProxyCommand.DEFAULT_CONTROL,
            description = "The proxy's control address (default: ${DEFAULT-VALUE}).")
    private String control;

    @Parameters(index = "0", paramLabel = "COMMAND", description = "status, activate, pause, resume, rate, source or wait.")
    private String command;

    @Parameters(index = "1..*", paramLabel = "ARG", arity = "0..1", description = "The argument of rate, source or wait.")
    private List<String> arguments = List.of();

    /**
     * Made when a request is sent, not with the command: building an HTTP client sets up TLS,
     * which costs every other command (serve, proxy) a large part of the JVM's start.
     */
    private HttpClient http;

    CtlCommand(CliContext context) {
        this.context = requireNonNull(context, "context is null");
    }

    @Override
    public Integer call() throws InterruptedException {
        String base = "http://" + ListenAddress.parse(control);
        String answer = switch (command) {
            case "status" -> send(base, "GET", "/status");
            case "activate", "pause", "resume" -> send(base, "POST", "/" + command);
            case "rate" -> send(base, "POST", "/rate?bytes-per-second=" + ByteSize.parse(argument("rate", "SIZE")));
            case "source" -> send(base, "POST", "/source?uri=" + URLEncoder.encode(argument("source", "URI"), StandardCharsets.UTF_8));
            case "wait" -> waitForCompletion(base);
            default -> throw new UsageException("unknown command '" + command + "': use status, activate, pause, resume, rate, source or wait");
        };
        context.out().println(answer);
        context.out().flush();
        return ExitCodes.OK;
    }

    private String argument(String name, String label) {
        if (arguments.size() != 1) {
            throw new UsageException("'" + name + "' needs one argument: " + name + " " + label);
        }
        return arguments.get(0);
    }

    private String waitForCompletion(String base) throws InterruptedException {
        long timeoutSeconds = arguments.isEmpty() ? Long.MAX_VALUE / 2_000_000_000L : Long.parseLong(arguments.get(0));
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        while (true) {
            String status = send(base, "GET", "/status");
            if (status.contains("\"state\":\"complete\"")) {
                return status;
            }
            if (System.nanoTime() > deadline) {
                throw new CliException("the relocation did not complete within " + timeoutSeconds + " s; last status: " + status);
            }
            Thread.sleep(200);
        }
    }

    private HttpClient http() {
        if (http == null) {
            http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        }
        return http;
    }

    private String send(String base, String method, String path) throws InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
        request = method.equals("GET") ? request.GET() : request.POST(HttpRequest.BodyPublishers.noBody());
        try {
            HttpResponse<String> response = http().send(request.build(), HttpResponse.BodyHandlers.ofString());
            String body = response.body().strip();
            if (response.statusCode() != 200) {
                throw new CliException("the proxy refused '" + command + "': " + body);
            }
            return body;
        } catch (ConnectException e) {
            throw new CliException("no proxy answers on " + control + ": is 'reloc proxy' running with --control " + control + "?", e);
        } catch (IOException e) {
            throw new CliException("talking to the proxy on " + control + " failed: " + e.getMessage(), e);
        }
    }
}
