package dev.ferry.spring.boot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.springframework.context.SmartLifecycle;

import com.mongodb.client.MongoDatabase;

import dev.ferry.core.lease.LeaseStore;
import dev.ferry.core.projection.LatencyObservingWriter;
import dev.ferry.core.projection.Projection;
import dev.ferry.core.projection.ReadModelWriter;
import dev.ferry.core.target.ParkedEvents;
import dev.ferry.core.transport.Transport;
import dev.ferry.engine.ProcessorSettings;
import dev.ferry.engine.ProcessorStatus;
import dev.ferry.engine.ProjectionProcessor;
import dev.ferry.engine.metrics.ProjectorMeters;
import dev.ferry.mongodb.readmodel.MongoReadModelWriter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

/**
 * The application's {@link Projection} beans, each running on Ferry's engine (lanes, version-checked writes, retries,
 * parking, breakers) over the transport's partitions, its read model a collection of Ferry's database named after it.
 * Instances of the application share the partitions of each projection (its consumer group). Started with the
 * context; stopped gracefully before MongoDB's client closes: what runs is finished and acknowledged, then the
 * partitions are handed over.
 */
public final class FerryProjections implements SmartLifecycle {

    private final List<Projection> projections;
    private final Transport transport;
    private final MongoDatabase database;
    private final ParkedEvents parkedEvents;
    private final LeaseStore leases;
    private final ProcessorSettings settings;
    private final boolean applyLog;
    private final String instanceId;
    private final Optional<MeterRegistry> registry;
    private final Duration stallTimeout;
    private final Map<String, ProjectionProcessor> running = Collections.synchronizedMap(new LinkedHashMap<>());
    private final List<Meter> meters = new ArrayList<>();
    /** Each stopped projection's last status: what this instance did, for the application to report after a stop. */
    private final Map<String, ProcessorStatus> stopped = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean started;

    FerryProjections(List<Projection> projections, Transport transport, MongoDatabase database,
                     ParkedEvents parkedEvents, LeaseStore leases, ProcessorSettings settings, boolean applyLog,
                     String instanceId, Optional<MeterRegistry> registry, Duration stallTimeout) {
        this.projections = List.copyOf(projections);
        Set<String> names = new HashSet<>();
        for (Projection projection : projections) {
            if (!names.add(projection.name())) {
                throw new IllegalStateException("two Projection beans are named '" + projection.name() + "': a "
                    + "projection's name is its read model's collection and its consumer group, so each needs its own");
            }
        }
        this.transport = transport;
        this.database = database;
        this.parkedEvents = parkedEvents;
        this.leases = leases;
        this.settings = settings;
        this.applyLog = applyLog;
        this.instanceId = instanceId;
        this.registry = registry;
        this.stallTimeout = stallTimeout;
    }

    /**
     * Starts every projection; if one cannot start (its topics cannot be created, say), those already started are
     * stopped again before the failure is rethrown, so that a context that fails to start leaves nothing running.
     */
    @Override
    public synchronized void start() {
        try {
            for (Projection projection : projections) {
                startOne(projection);
            }
        } catch (RuntimeException e) {
            try {
                stop();
            } catch (RuntimeException stopping) {
                e.addSuppressed(stopping);
            }
            throw e;
        }
        started = true;
    }

    private void startOne(Projection projection) {
        transport.prepareFor(projection.aggregateTypes());
        Tags tags = Tags.of("projection", projection.name());
        ReadModelWriter writer = new MongoReadModelWriter(database, applyLog);
        if (registry.isPresent()) {
            Timer latency = ProjectorMeters.endToEnd(registry.get(), tags);
            meters.add(latency);
            writer = new LatencyObservingWriter(writer, millis -> latency.record(millis, TimeUnit.MILLISECONDS));
        }
        ProjectionProcessor processor = new ProjectionProcessor(projection, writer, parkedEvents, settings,
            transport.subscription(projection.name(), instanceId, leases, settings.sessionTimeout()), instanceId);
        registry.ifPresent(meterRegistry -> meters.addAll(ProjectorMeters.bind(processor, meterRegistry, stallTimeout,
            tags)));
        running.put(projection.name(), processor);
        processor.start();
    }

    /** Stops every projection gracefully: what runs is finished and acknowledged, then the partitions handed over. */
    @Override
    public synchronized void stop() {
        List<Map.Entry<String, ProjectionProcessor>> processors = new ArrayList<>(running.entrySet());
        Collections.reverse(processors);
        RuntimeException failure = null;
        for (Map.Entry<String, ProjectionProcessor> processor : processors) {
            try {
                processor.getValue().close();
            } catch (RuntimeException e) {
                // the others are still closed; the first failure is rethrown after
                failure = failure == null ? e : failure;
            }
            stopped.put(processor.getKey(), processor.getValue().status());
        }
        running.clear();
        registry.ifPresent(meterRegistry -> meters.forEach(meterRegistry::remove));
        meters.clear();
        started = false;
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public boolean isRunning() {
        return started;
    }

    /** The projections' names, in the order they start. */
    public List<String> names() {
        return projections.stream().map(Projection::name).toList();
    }

    /** A projection's status in this instance: while it runs, or as it was when it stopped. */
    public Optional<ProcessorStatus> status(String projection) {
        ProjectionProcessor processor = running.get(projection);
        return processor != null ? Optional.of(processor.status()) : Optional.ofNullable(stopped.get(projection));
    }

    /** How long fetched records may wait, none finished, before a projection counts as stalled. */
    public Duration stallTimeout() {
        return stallTimeout;
    }

    /** This instance's name in the projections' leases and consumer names. */
    public String instanceId() {
        return instanceId;
    }
}
