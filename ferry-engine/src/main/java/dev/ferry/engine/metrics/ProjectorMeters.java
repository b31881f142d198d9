package dev.ferry.engine.metrics;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import dev.ferry.engine.ProjectionProcessor;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;

/**
 * A projector's meters. Their names are part of Ferry's public contract (dashboards and alerts use them), so the CLI's
 * {@code ferry project} and the Spring Boot starter register them here, in one place.
 */
public final class ProjectorMeters {

    private ProjectorMeters() {
    }

    /** The latency from append to read model written, per applied event (for a {@code LatencyObservingWriter}). */
    public static Timer endToEnd(MeterRegistry registry, Iterable<Tag> tags) {
        return Timer.builder("ferry.projector.end.to.end").tags(tags)
            .description("append to read model written, per applied event").publishPercentileHistogram()
            .register(registry);
    }

    /**
     * @param stallTimeout how long fetched records may wait, none finished, before {@code ferry.projector.stalled} is 1
     * @param tags         added to every meter (the starter names the projection; the CLI runs one and adds none)
     * @return the meters registered, for a caller that removes them when the projector is closed
     */
    public static List<Meter> bind(ProjectionProcessor projector, MeterRegistry registry, Duration stallTimeout,
                                   Iterable<Tag> tags) {
        List<Meter> meters = new ArrayList<>();
        meters.add(FunctionCounter.builder("ferry.projector.events.applied", projector, p -> p.status().applied())
            .tags(tags).register(registry));
        meters.add(FunctionCounter.builder("ferry.projector.events.duplicate", projector, p -> p.status().duplicates())
            .tags(tags).description("events skipped because the read model already had them").register(registry));
        meters.add(FunctionCounter.builder("ferry.projector.events.parked", projector, p -> p.status().parked())
            .tags(tags).register(registry));
        meters.add(Gauge.builder("ferry.projector.partitions.assigned", projector, p -> p.status().assigned().size())
            .tags(tags).register(registry));
        meters.add(Gauge.builder("ferry.projector.partitions.paused", projector, p -> p.status().paused().size())
            .tags(tags)
            .description("partitions paused because a dependency's circuit breaker is open").register(registry));
        meters.add(Gauge.builder("ferry.projector.breakers.open", projector,
            p -> p.status().breakers().values().stream().filter(state -> !state.equals("CLOSED")).count()).tags(tags)
            .register(registry));
        meters.add(Gauge.builder("ferry.projector.lag", projector, p -> p.status().lag()).tags(tags)
            .description("records in the owned partitions not yet fetched").register(registry));
        meters.add(Gauge.builder("ferry.projector.stalled", projector,
            p -> p.status().stalled(Instant.now(), stallTimeout) ? 1 : 0)
            .tags(tags).description("1 while a partition's fetched records have waited, none finished, or its polling "
                + "thread has failed, for longer than admin.stallTimeout; or once its work ended").register(registry));
        return meters;
    }
}
