package dev.ferry.app.run;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.ferry.app.admin.Reachability;
import dev.ferry.app.wiring.Components;
import dev.ferry.app.wiring.Transport;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.SourceConfig;

/** What every long-running command does: check the backends, run until SIGTERM, then close in order. */
public final class ServiceLifecycle {

    private ServiceLifecycle() {
    }

    public static void requireReachable(FerryConfig config) {
        String problem = new Reachability(config).problem();
        if (problem != null) {
            throw new Unreachable(problem);
        }
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
            source.collection(), Transport.of(config));
    }

    /** Blocks until the JVM is asked to stop, then closes {@code resources} in order, gracefully. */
    public static void runUntilStopped(List<AutoCloseable> resources) throws InterruptedException {
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
