package dev.ferry.spring.boot;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.springframework.context.SmartLifecycle;

import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.RelayStatus;
import dev.ferry.core.relay.spi.CheckpointStore;
import dev.ferry.core.transport.Transport;
import dev.ferry.engine.metrics.RelayMeters;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/**
 * A relay instance in the application ({@code ferry.relay.enabled=true}): it leads while it holds the relay's lease in
 * MongoDB, else stands by; every instance of the application runs one, and one publishes. Stopped with the context
 * (a leader hands its lease back, so a standby takes over at once).
 */
public final class FerryRelay implements SmartLifecycle {

    /** Builds a relay for each start (a ChangeStreamRelay does not start again once closed). */
    interface Factory {
        ChangeStreamRelay relay(Transport.Publishers publishers);
    }

    private final Supplier<Transport.Publishers> publishersFactory;
    private final Factory factory;
    private final Optional<MeterRegistry> registry;
    private final Duration stallTimeout;
    private final CheckpointStore checkpoints;
    private final String name;
    private final List<Meter> meters = new ArrayList<>();
    private volatile ChangeStreamRelay relay;
    private Transport.Publishers publishers;
    /** Once true, stays true: a checkpoint is not taken back. */
    private volatile boolean checkpointed;
    private ScheduledExecutorService checkpointWatch;

    FerryRelay(String name, Supplier<Transport.Publishers> publishers, Factory factory, CheckpointStore checkpoints,
               Optional<MeterRegistry> registry, Duration stallTimeout) {
        this.name = name;
        this.publishersFactory = publishers;
        this.factory = factory;
        this.checkpoints = checkpoints;
        this.registry = registry;
        this.stallTimeout = stallTimeout;
    }

    /** Starts the relay; if it cannot start, what was made for it is closed before the failure is rethrown. */
    @Override
    public synchronized void start() {
        try {
            publishers = publishersFactory.get();
            relay = factory.relay(publishers);
            registry.ifPresent(meterRegistry -> meters.addAll(RelayMeters.bind(relay, meterRegistry, stallTimeout,
                Tags.empty())));
            relay.start();
            watchForCheckpoint();
        } catch (RuntimeException e) {
            try {
                stop();
            } catch (RuntimeException stopping) {
                e.addSuppressed(stopping);
            }
            throw e;
        }
    }

    @Override
    public synchronized void stop() {
        ScheduledExecutorService watch = checkpointWatch;
        checkpointWatch = null;
        if (watch != null) {
            watch.shutdownNow(); // waited for last: a read stuck on an unreachable MongoDB must not delay the handover
        }
        try {
            if (relay != null) {
                relay.close();
            }
        } finally {
            awaitEnd(watch);
            relay = null;
            try {
                if (publishers != null) {
                    publishers.close(); // after the relay: it publishes until it stops
                }
            } finally {
                publishers = null;
                registry.ifPresent(meterRegistry -> meters.forEach(meterRegistry::remove));
                meters.clear();
            }
        }
    }

    private static void awaitEnd(ScheduledExecutorService watch) {
        if (watch != null) {
            try {
                watch.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean isRunning() {
        return relay != null;
    }

    /** The relay's status while it runs. */
    public Optional<RelayStatus> status() {
        return Optional.ofNullable(relay).map(ChangeStreamRelay::status);
    }

    /**
     * Whether the relay has a checkpoint, written by any of its instances. Until the first one, where it starts is not
     * yet fixed: a relay with no checkpoint starts at {@code ferry.relay.start} ({@code now} by default) when its first
     * leader opens the stream, so an event the application appends before that is never published. Never waits: a
     * thread of the relay's reads MongoDB every second until the answer is yes.
     */
    public boolean hasCheckpoint() {
        return checkpointed;
    }

    private void watchForCheckpoint() {
        if (checkpointed) {
            return;
        }
        ScheduledExecutorService watch = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "ferry-relay-checkpoint-watch");
            thread.setDaemon(true);
            return thread;
        });
        checkpointWatch = watch;
        watch.scheduleWithFixedDelay(() -> {
            try {
                if (checkpoints.load(name).isPresent()) {
                    checkpointed = true;
                    watch.shutdown();
                }
            } catch (RuntimeException unreachable) {
                // MongoDB's own health says so; asked again in a second
            }
        }, 0, 1, TimeUnit.SECONDS);
    }

    /**
     * Whether the relay is not fit to take traffic at {@code now}: changes waited unacknowledged for longer than the
     * stall timeout, or it is a standby rehearsing its takeover (seconds at most), as the CLI's readiness says.
     */
    public boolean stalledAt(Instant now) {
        ChangeStreamRelay current = relay;
        return current != null && (current.warmingUp(now) || current.status().stalled(now, stallTimeout));
    }
}
