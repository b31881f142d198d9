package dev.ferry.app.run;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ferry.app.admin.AdminServer;
import dev.ferry.app.admin.Readiness;
import dev.ferry.app.admin.Reachability;
import dev.ferry.app.wiring.Components;
import dev.ferry.app.wiring.Transports;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.SourceConfig;
import dev.ferry.core.transport.Unanswered;
import dev.ferry.core.wire.EventJson;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * What every long-running command does: start its admin server, wait for the backends, run until SIGTERM, then close
 * in order.
 */
public final class ServiceLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ServiceLifecycle.class);
    /** How often a long-running command checks whether its work ended. */
    private static final Duration ENDED_CHECK = Duration.ofSeconds(1);

    private ServiceLifecycle() {
    }

    /** One check, for the commands that do one thing and end ({@code status}, {@code parked}, {@code relay copy}). */
    public static void requireReachable(FerryConfig config) {
        String problem = new Reachability(config).problem();
        if (problem != null) {
            throw new Unreachable(problem);
        }
    }

    /**
     * What a long-running command built once MongoDB and the transport answered.
     *
     * @param started        its start line, e.g. {@code ferry relay r: instance i started} (the admin port is added)
     * @param statusJson     its {@code /status}
     * @param stalledAt      whether its work has waited without progress for longer than {@code admin.stallTimeout}
     * @param work           closed first, in order, on SIGTERM
     * @param infrastructure closed after the admin server (publishers, clients)
     * @param ended          why its work ended for good, or null while it goes on: the process then exits with status 1
     *                       (after closing in order), so that its supervisor (Kubernetes) starts it again
     */
    public record Running(String started, Supplier<String> statusJson, Predicate<Instant> stalledAt,
                          List<AutoCloseable> work, List<AutoCloseable> infrastructure, Supplier<String> ended) {

        /** Work that cannot end by itself (the relay restarts its own pipeline). */
        public Running(String started, Supplier<String> statusJson, Predicate<Instant> stalledAt,
                       List<AutoCloseable> work, List<AutoCloseable> infrastructure) {
            this(started, statusJson, stalledAt, work, infrastructure, () -> null);
        }
    }

    /** Builds and starts a command's work; the admin server is already answering. */
    public interface Starter {
        Running start(AdminServer admin) throws Exception;
    }

    /**
     * Runs a long-running command: its admin server first (live; not ready; {@code /status} says what it waits for),
     * then the wait for MongoDB and the transport ({@link StartupWait}, up to {@code startupTimeout}), then
     * {@code starter}'s work until SIGTERM.
     *
     * @param component {@code relay}, {@code projector} or {@code replicator}, as its {@code /status} names it
     * @param who       how its lines begin, e.g. {@code ferry relay ferry-relay}
     * @throws Unreachable if a backend did not answer within {@code startupTimeout}
     */
    public static void serve(FerryConfig settings, String component, String who, PrometheusMeterRegistry metrics,
                             Starter starter) throws Exception {
        Reachability reachability = new Reachability(settings);
        Readiness readiness = new Readiness(reachability, Clock.systemUTC());
        Serving serving = new Serving(component);
        AdminServer admin = new AdminServer(settings.admin().bind(), settings.admin().port(), settings.admin().token(),
            readiness, serving::statusJson, metrics);
        Running running;
        try {
            StartupWait wait = new StartupWait(reachability::firstUnanswered, settings.startupTimeoutDuration(),
                line -> log.warn("{} (admin port {}, not ready meanwhile): {}", who, admin.port(), line));
            serving.wait = wait;
            wait.await();
            running = starter.start(admin);
        } catch (Exception | Error e) {
            admin.close();
            throw e;
        }
        serving.running = running;
        readiness.running(running.stalledAt());
        System.err.printf("%s; admin on port %d%n", running.started(), admin.port());
        List<AutoCloseable> closing = new ArrayList<>(running.work());
        closing.add(admin);
        closing.addAll(running.infrastructure());
        // Watched once the shutdown hook is in place: an exit then closes everything in order.
        runUntilStopped(closing, () -> EndedWorkWatch.start(running.ended(), who, System::exit, ENDED_CHECK));
    }

    /** What {@code /status} shows: what the process waits for while it starts, then its work's status. */
    private static final class Serving {

        private final String component;
        private volatile StartupWait wait;
        private volatile Running running;

        Serving(String component) {
            this.component = component;
        }

        String statusJson() {
            Running work = running;
            if (work != null) {
                return work.statusJson().get();
            }
            StartupWait waiting = wait;
            Unanswered unanswered = waiting == null ? null : waiting.waitingFor();
            return "{\"component\":\"" + component + "\",\"starting\":true,\"waitingFor\":"
                + EventJson.quote(unanswered == null ? null : unanswered.line(Reachability.PROBE_TIMEOUT)) + "}";
        }
    }

    /** The instant as a JSON string, or null: for the {@code /status} documents. */
    static String jsonInstant(Instant instant) {
        return EventJson.quote(instant == null ? null : instant.toString());
    }

    /**
     * Components whose event store is the first commits source (Ferry's own store where services append through its
     * API), or the default collection in Ferry's database when every source is an event store of the users' schema.
     */
    public static Components components(FerryConfig config) {
        return components(config, config.sources().stream().filter(SourceConfig.Commits.class::isInstance)
            .map(SourceConfig.Commits.class::cast).findFirst()
            .orElseGet(() -> new SourceConfig.Commits(null, config.mongodb().database(), "events", null)));
    }

    /** Components whose event store is {@code source}. */
    public static Components components(FerryConfig config, SourceConfig.Commits source) {
        return new Components(config.mongodb().uri(), config.mongodb().database(), source.database(),
            source.collection(), Transports.of(config));
    }

    /** Blocks until the JVM is asked to stop, then closes {@code resources} in order, gracefully. */
    public static void runUntilStopped(List<AutoCloseable> resources) throws InterruptedException {
        runUntilStopped(resources, () -> { });
    }

    /**
     * As {@link #runUntilStopped(List)}, running {@code hooked} once the shutdown hook is registered (so that an exit
     * it may cause closes {@code resources}).
     */
    static void runUntilStopped(List<AutoCloseable> resources, Runnable hooked) throws InterruptedException {
        CountDownLatch stopping = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping.countDown();
            try {
                stopped.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "ferry-shutdown"));
        hooked.run();
        stopping.await();
        for (AutoCloseable resource : resources) {
            try {
                resource.close();
            } catch (Exception e) {
                System.err.println("ferry: while stopping: " + e);
            }
        }
        stopped.countDown();
    }
}
