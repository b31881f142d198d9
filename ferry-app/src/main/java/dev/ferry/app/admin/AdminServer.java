package dev.ferry.app.admin;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import dev.ferry.core.target.ParkedEvents;
import dev.ferry.core.wire.EventJson;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The admin HTTP endpoints of one Ferry process (the JDK's HTTP server: a handful of endpoints need no framework):
 * <ul>
 *   <li>{@code GET /health/live} — the process runs;</li>
 *   <li>{@code GET /health/ready} — it can work ({@link Readiness}): started, MongoDB and Kafka reachable, its work
 *       not stalled. Being a standby relay or in a rebalance is not "unready", so rolling updates do not stall;</li>
 *   <li>{@code GET /metrics} — Prometheus; {@code GET /status} — JSON;</li>
 *   <li>{@code GET /parked?projection=p} — parked aggregates (read-only, open); 503 until {@link #serveParked} (a
 *       process starts its admin server before MongoDB answers);</li>
 *   <li>{@code POST /parked/retry} and {@code /parked/skip} with {@code projection} and {@code aggregate}
 *       parameters — require {@code Authorization: Bearer <admin.token>}; refused when no token is configured,
 *       and with 404 and the reason when the projection or aggregate has nothing parked;</li>
 *   <li>{@code POST /relay/copy?source=NAME} (a relay's, once {@link #acceptCopyRequests} is called) — asks the
 *       leading relay to copy one source again while the others stream; the same token rules; 404 for an unknown
 *       source.</li>
 * </ul>
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

    private final HttpServer server;
    private final String token;
    private volatile ParkedEvents parked;

    public AdminServer(String bind, int port, String token, BooleanSupplier ready, Supplier<String> statusJson,
                       PrometheusMeterRegistry metrics, ParkedEvents parked) throws IOException {
        this(bind, port, token, ready, statusJson, metrics);
        serveParked(parked);
    }

    /** An admin server whose parked operations answer 503 until {@link #serveParked} is called. */
    public AdminServer(String bind, int port, String token, BooleanSupplier ready, Supplier<String> statusJson,
                       PrometheusMeterRegistry metrics) throws IOException {
        this.token = token;
        // The JVM's own figures beside Ferry's: allocation, GC pauses, heap. Operators watch them; the benchmark
        // reads them for its per-event cost.
        new JvmGcMetrics().bindTo(metrics);
        new JvmMemoryMetrics().bindTo(metrics);
        server = HttpServer.create(new InetSocketAddress(bind, port), 0);
        server.setExecutor(Executors.newFixedThreadPool(2, runnable -> {
            Thread thread = new Thread(runnable, "admin-http");
            thread.setDaemon(true);
            return thread;
        }));
        server.createContext("/health/live", exchange -> respond(exchange, 200, "application/json", "{\"status\":\"UP\"}"));
        server.createContext("/health/ready", exchange -> {
            boolean isReady = ready.getAsBoolean();
            respond(exchange, isReady ? 200 : 503, "application/json",
                "{\"status\":\"" + (isReady ? "UP" : "DOWN") + "\"}");
        });
        server.createContext("/metrics", exchange -> respond(exchange, 200,
            "text/plain; version=0.0.4; charset=utf-8", metrics.scrape()));
        server.createContext("/status", exchange -> respond(exchange, 200, "application/json", statusJson.get()));
        server.createContext("/parked", exchange -> {
            ParkedEvents current = this.parked;
            if (current == null) {
                respond(exchange, 503, "application/json", "{\"error\":\"starting: not connected to MongoDB yet\"}");
            } else {
                handleParked(exchange, token, current);
            }
        });
        server.start();
    }

    /** Serves {@code /parked} from {@code parked} from now on. */
    public AdminServer serveParked(ParkedEvents parked) {
        this.parked = parked;
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /**
     * Adds {@code POST /relay/copy?source=NAME}: token-protected like the parked operations.
     *
     * @param sources the sources that may be named
     * @param request records the request for the leading relay
     */
    public AdminServer acceptCopyRequests(List<String> sources, Consumer<String> request) {
        server.createContext("/relay/copy", exchange -> {
            if (!exchange.getRequestMethod().equals("POST")) {
                respond(exchange, 404, "application/json", "{\"error\":\"not found\"}");
                return;
            }
            if (!permitted(exchange, token)) {
                return;
            }
            String source = query(exchange).get("source");
            if (source == null || !sources.contains(source)) {
                respond(exchange, 404, "application/json", "{\"error\":" + EventJson.quote("no source named '" + source
                    + "'; sources: " + sources) + "}");
                return;
            }
            try {
                request.accept(source);
            } catch (IllegalStateException refused) {
                respond(exchange, 409, "application/json", "{\"error\":" + EventJson.quote(refused.getMessage()) + "}");
                return;
            }
            log.info("admin: copy of source {} requested", source);
            respond(exchange, 202, "application/json", "{\"requested\":\"copy\",\"source\":" + EventJson.quote(source)
                + "}");
        });
        return this;
    }

    /** Changing endpoints need the configured token; false once the refusal is answered. */
    private static boolean permitted(HttpExchange exchange, String token) throws IOException {
        if (token == null || token.isBlank()) {
            respond(exchange, 403, "application/json", "{\"error\":\"changes are disabled: no admin.token configured\"}");
            return false;
        }
        if (!authorized(exchange, token)) {
            respond(exchange, 401, "application/json", "{\"error\":\"a valid 'Authorization: Bearer <token>' is required\"}");
            return false;
        }
        return true;
    }

    private static void handleParked(HttpExchange exchange, String token, ParkedEvents parked) throws IOException {
        Map<String, String> query = query(exchange);
        String projection = query.get("projection");
        String path = exchange.getRequestURI().getPath();
        if (projection == null || projection.isBlank()) {
            respond(exchange, 400, "application/json", "{\"error\":\"parameter 'projection' is required\"}");
            return;
        }
        if (path.equals("/parked") && exchange.getRequestMethod().equals("GET")) {
            StringBuilder json = new StringBuilder("{\"projection\":" + EventJson.quote(projection) + ",\"aggregates\":[");
            String separator = "";
            for (String aggregate : parked.parkedAggregates(projection)) {
                json.append(separator).append("{\"aggregate\":").append(EventJson.quote(aggregate)).append(",\"events\":")
                    .append(parked.parked(projection, aggregate).size()).append('}');
                separator = ",";
            }
            respond(exchange, 200, "application/json", json.append("]}").toString());
            return;
        }
        ParkedEvents.Request request = switch (path) {
            case "/parked/retry" -> ParkedEvents.Request.RETRY;
            case "/parked/skip" -> ParkedEvents.Request.SKIP_FIRST;
            default -> null;
        };
        if (request == null || !exchange.getRequestMethod().equals("POST")) {
            respond(exchange, 404, "application/json", "{\"error\":\"not found\"}");
            return;
        }
        if (!permitted(exchange, token)) {
            return;
        }
        String aggregate = query.get("aggregate");
        if (aggregate == null || !aggregate.contains("/")) {
            respond(exchange, 400, "application/json", "{\"error\":\"parameter 'aggregate' (type/id) is required\"}");
            return;
        }
        try {
            parked.request(projection, aggregate, request);
        } catch (ParkedEvents.NothingParked refused) {
            respond(exchange, 404, "application/json", "{\"error\":" + EventJson.quote(refused.getMessage()) + "}");
            return;
        }
        log.info("admin: {} requested for {} of projection {}", request, aggregate, projection);
        respond(exchange, 202, "application/json", "{\"requested\":\"" + request + "\",\"aggregate\":"
            + EventJson.quote(aggregate) + "}");
    }

    private static boolean authorized(HttpExchange exchange, String token) {
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        byte[] expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
        return header != null && MessageDigest.isEqual(header.getBytes(StandardCharsets.UTF_8), expected);
    }

    private static Map<String, String> query(HttpExchange exchange) {
        Map<String, String> parameters = new HashMap<>();
        String raw = exchange.getRequestURI().getRawQuery();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    parameters.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return parameters;
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
