package dev.ferry.spring.boot;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import org.springframework.context.SmartLifecycle;

import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.RelayStatus;
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
    private final List<Meter> meters = new ArrayList<>();
    private volatile ChangeStreamRelay relay;
    private Transport.Publishers publishers;

    FerryRelay(Supplier<Transport.Publishers> publishers, Factory factory, Optional<MeterRegistry> registry,
               Duration stallTimeout) {
        this.publishersFactory = publishers;
        this.factory = factory;
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
        try {
            if (relay != null) {
                relay.close();
            }
        } finally {
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

    @Override
    public boolean isRunning() {
        return relay != null;
    }

    /** The relay's status while it runs. */
    public Optional<RelayStatus> status() {
        return Optional.ofNullable(relay).map(ChangeStreamRelay::status);
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
