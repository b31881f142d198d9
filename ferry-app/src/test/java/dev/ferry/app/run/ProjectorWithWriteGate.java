package dev.ferry.app.run;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.ferry.app.wiring.Components;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.core.event.Event;
import dev.ferry.core.projection.Projection;
import dev.ferry.core.projection.ReadModelChange;
import dev.ferry.core.projection.ReadModelWriter;
import dev.ferry.engine.ProcessorSettings;
import dev.ferry.engine.ProjectionProcessor;
import dev.ferry.mongodb.readmodel.MongoReadModelWriter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * Test-only child process (started from the built jar plus the test classes). It copies from {@link ProjectCommand}
 * the service lifecycle and admin endpoints ({@code /status} as {@code ProjectCommand.statusJson}, parked events), the
 * components ({@code components.projector}: the same transport, partition leases and fences), the
 * {@link MongoReadModelWriter} with the configured apply log, the lane threads and the metrics and stall binding. It
 * leaves out the check that {@code projector.aggregateTypes} is set (the test's configuration sets it) and the
 * {@code LatencyObservingWriter} around the writer (an end-to-end latency timer: no effect on what is written), and it
 * replaces {@code ProjectCommand}'s latest-state projection and the writer's direct call with two hooks that live here
 * and nowhere in production code.
 * <ul>
 *   <li>A projection whose every change tags the document with who prepared it: {@code state._by =
 *       "<writer>|<version>|<preparedAtMillis>"} (a Merge, for every event type). The tag is part of the conditional
 *       update, so the read model itself (and a change stream on it) tells which process's write landed, and whether
 *       that write was prepared before a freeze.</li>
 *   <li>A write gate between the engine and the read-model writer, i.e. after the write was permitted (the engine
 *       asks the partition fence before it calls the writer): on {@code hold} (a line on stdin) the next run
 *       blocks, the line {@code HELD <aggregateId> <firstVersion> <lastVersion>} is printed, and it stays blocked
 *       until {@code release}; once the delegate returns, {@code LANDED <aggregateId> <outcomes>} is printed.</li>
 * </ul>
 * Usage: {@code -Dferry.test.writer=<name> dev.ferry.app.run.ProjectorWithWriteGate <config.yml>}.
 */
public final class ProjectorWithWriteGate {

    private ProjectorWithWriteGate() {
    }

    public static void main(String[] args) throws Exception {
        FerryConfig settings = new ConfigLoader(System.getenv()).load(Path.of(args[0]));
        String writer = System.getProperty("ferry.test.writer", "unnamed");
        Projection projection = tagged(settings.projector().projection(), settings.projector().aggregateTypes(), writer);
        Gate gate = new Gate();
        gate.listen();
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ServiceLifecycle.serve(settings, "projector", "ferry project " + projection.name(), metrics, admin -> {
            Components components = ServiceLifecycle.components(settings);
            String instanceId = Components.newInstanceId();
            ProjectionProcessor projector = components.projector(projection,
                new GatedWriter(new MongoReadModelWriter(components.database(), settings.projector().applyLog()), gate),
                ProcessorSettings.DEFAULT.withLaneThreads(settings.projector().lanes()), instanceId);
            Duration stallTimeout = settings.admin().stallTimeoutDuration();
            ProjectCommand.bindMetrics(projector, metrics, stallTimeout);
            projector.start();
            admin.serveParked(components.parkedEvents());
            return new ServiceLifecycle.Running("ferry project " + projection.name() + ": instance " + instanceId
                + " started", () -> ProjectCommand.statusJson(projector, projection, instanceId),
                now -> projector.status().stalled(now, stallTimeout), List.of(projector), List.of(components));
        });
    }

    /** Every event merges one field, unique per (writer, version), so each landed write shows in a change stream. */
    static Projection tagged(String name, List<String> aggregateTypes, String writer) {
        return Projection.named(name).forAggregateTypes(aggregateTypes.toArray(String[]::new))
            .otherwise((event, context) -> new ReadModelChange.Merge("{\"_by\":\"" + writer + "|" + event.version() + "|"
                + System.currentTimeMillis() + "\"}"))
            .build();
    }

    /** Armed and released by lines on stdin; holds one run at a time. */
    private static final class Gate {

        private final AtomicBoolean armed = new AtomicBoolean();
        private volatile CountDownLatch released = new CountDownLatch(0);

        void listen() {
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        if (line.trim().equals("hold")) {
                            released = new CountDownLatch(1);
                            armed.set(true);
                            System.out.println("ARMED");
                            System.out.flush();
                        } else if (line.trim().equals("release")) {
                            released.countDown();
                        }
                    }
                } catch (Exception e) {
                    released.countDown();
                }
            }, "write-gate-stdin");
            reader.setDaemon(true);
            reader.start();
        }

        /** True if this run is the one held (the caller then waits in {@link #await}). */
        boolean take() {
            return armed.compareAndSet(true, false);
        }

        void await() {
            try {
                // Bounded so that a test that dies without releasing does not leave a process blocked forever.
                released.await(10, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static final class GatedWriter implements ReadModelWriter {

        private final ReadModelWriter delegate;
        private final Gate gate;

        GatedWriter(ReadModelWriter delegate, Gate gate) {
            this.delegate = delegate;
            this.gate = gate;
        }

        @Override
        public Outcome apply(Projection projection, Event event, ReadModelChange change) {
            return applyRun(projection, List.of(new Step(event, change))).get(0);
        }

        @Override
        public List<Outcome> applyRun(Projection projection, List<Step> run) {
            if (run.isEmpty() || !gate.take()) {
                return delegate.applyRun(projection, run);
            }
            Event first = run.get(0).event();
            System.out.println("HELD " + first.aggregateId() + " " + first.version() + " "
                + run.get(run.size() - 1).event().version());
            System.out.flush();
            gate.await();
            List<Outcome> outcomes = delegate.applyRun(projection, run);
            System.out.println("LANDED " + first.aggregateId() + " " + outcomes.stream().map(Enum::name).toList()
                .toString().replace(" ", ""));
            System.out.flush();
            return outcomes;
        }

        @Override
        public long version(Projection projection, String aggregateId) {
            return delegate.version(projection, aggregateId);
        }

        @Override
        public Outcome skip(Projection projection, Event event, String reason) {
            return delegate.skip(projection, event, reason);
        }
    }
}
