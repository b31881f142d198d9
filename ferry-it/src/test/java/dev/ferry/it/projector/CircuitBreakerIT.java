package dev.ferry.it.projector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.sun.net.httpserver.HttpServer;

import dev.ferry.core.projection.Projection;
import dev.ferry.core.target.RetryPolicy;
import dev.ferry.engine.ProcessorSettings;
import dev.ferry.it.support.AppendLoad;
import dev.ferry.it.support.Pipeline;
import dev.ferry.it.support.PipelineFixture;
import dev.ferry.it.support.ReadModelCheck;
import dev.ferry.it.support.TestProjections;
import dev.ferry.kafka.projector.ProjectorRuntime;

/**
 * A REST dependency of the handler goes down and comes back: its breaker opens, the partitions whose events hit it
 * pause, nothing is parked or lost, and processing resumes after a successful probe.
 */
@Timeout(300)
class CircuitBreakerIT extends PipelineFixture {

    private HttpServer downstream;
    private int port;
    private final Set<String> idempotencyKeys = ConcurrentHashMap.newKeySet();

    @BeforeEach
    void start() throws IOException {
        pipeline.startRelay("relay-1");
        startDownstream(0);
    }

    @AfterEach
    void stop() {
        downstream.stop(0);
    }

    private void startDownstream(int onPort) throws IOException {
        downstream = HttpServer.create(new InetSocketAddress("127.0.0.1", onPort), 0);
        downstream.createContext("/apply", exchange -> {
            idempotencyKeys.add(exchange.getRequestHeaders().getFirst("Idempotency-Key"));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        downstream.start();
        port = downstream.getAddress().getPort();
    }

    @Test
    void anOutageOpensTheBreakerPausesAndResumesWithNothingParkedOrLost() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
        Projection projection = TestProjections.counter("breaker_" + System.nanoTime(), (event, context) -> {
            context.call("downstream", () -> {
                HttpResponse<Void> response = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/apply"))
                    .header("Idempotency-Key", context.idempotencyKey()).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() != 204) {
                    throw new IOException("downstream answered " + response.statusCode());
                }
                return null;
            });
            return TestProjections.merge(event.payloadJson());
        });
        ProcessorSettings settings = ProcessorSettings.DEFAULT
            .withRetry(new RetryPolicy(5, Duration.ofMillis(20), Duration.ofMillis(100)))
            .withBreaker(new ProcessorSettings.Breaker(50, 4, 10, Duration.ofMillis(500)));
        List<ProjectorRuntime> projectors = List.of(pipeline.startProjector("p1", projection, settings),
            pipeline.startProjector("p2", projection, settings));

        new AppendLoad(pipeline.store(), "patient", 100, 1_000, 2).runToEnd();
        await().atMost(Duration.ofSeconds(60)).until(() -> pipeline.checkReadModel(projection).readModelExact());

        downstream.stop(0);
        long downAt = System.nanoTime();
        CompletableFuture<Void> moreLoad = new AppendLoad(pipeline.store(), "patient", 100, 2_000, 2).start();
        await().atMost(Duration.ofSeconds(60)).until(() -> projectors.stream()
            .anyMatch(p -> !p.status().paused().isEmpty() && p.status().breakers().containsValue("OPEN")));
        String pausedStatus = projectors.stream().map(p -> p.status().toString()).toList().toString();
        moreLoad.get();
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10))
            .until(() -> pipeline.parkedEvents().parkedAggregates(projection.name()).isEmpty());

        startDownstream(port);
        long upAt = System.nanoTime();
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
            .until(() -> pipeline.checkReadModel(projection).readModelExact());
        long recoveredMillis = (System.nanoTime() - upAt) / 1_000_000;

        ReadModelCheck check = pipeline.checkReadModel(projection);
        System.out.printf("CircuitBreakerIT: downstream down for %d ms; while down: %s; caught up %d ms after it came "
            + "back; %s%n", (upAt - downAt) / 1_000_000, pausedStatus, recoveredMillis, check);
        assertThat(pipeline.parkedEvents().parkedAggregates(projection.name())).isEmpty();
        assertThat(check.duplicatesApplied()).isZero();
        assertThat(check.orderViolations()).isZero();
        assertThat(projectors).allSatisfy(p -> assertThat(p.status().paused()).isEmpty());
        assertThat(idempotencyKeys).hasSizeGreaterThanOrEqualTo(3_000);
    }
}
