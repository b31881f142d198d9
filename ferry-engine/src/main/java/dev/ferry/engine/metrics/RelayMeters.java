package dev.ferry.engine.metrics;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.RelayStatus;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;

/**
 * A relay instance's meters. Their names are part of Ferry's public contract (dashboards and alerts use them), so the
 * CLI's {@code ferry relay} and the Spring Boot starter register them here, in one place.
 */
public final class RelayMeters {

    private RelayMeters() {
    }

    /**
     * @param stallTimeout how long changes may wait unacknowledged before {@code ferry.relay.stalled} is 1
     * @param tags         added to every meter
     * @return the meters registered, for a caller that removes them when the relay is closed
     */
    public static List<Meter> bind(ChangeStreamRelay relay, MeterRegistry registry, Duration stallTimeout,
                                   Iterable<Tag> tags) {
        List<Meter> meters = new ArrayList<>();
        meters.add(FunctionCounter.builder("ferry.relay.events.published", relay, r -> r.status().published())
            .tags(tags)
            .description("events acknowledged by the transport, published by this instance").register(registry));
        meters.add(FunctionCounter.builder("ferry.relay.dead.lettered", relay, r -> r.status().deadLettered())
            .tags(tags)
            .description("documents and changes sent to the dead-letter topic (subject on NATS)").register(registry));
        meters.add(FunctionCounter.builder("ferry.relay.oversized", relay, r -> r.status().oversized()).tags(tags)
            .description("entity changes dead-lettered for being larger than a broker record (maxRecordBytes)")
            .register(registry));
        meters.add(Gauge.builder("ferry.relay.leader", relay, r -> r.status().role() == RelayStatus.Role.LEADER ? 1 : 0)
            .tags(tags).description("1 while this instance leads").register(registry));
        meters.add(Gauge.builder("ferry.relay.epoch", relay, r -> r.status().epoch()).tags(tags).register(registry));
        meters.add(Gauge.builder("ferry.relay.checkpoint.sequence", relay, r -> r.status().checkpointSequence())
            .tags(tags).register(registry));
        meters.add(FunctionCounter.builder("ferry.relay.failovers", relay, r -> r.status().terms()).tags(tags)
            .description("times this instance took over leadership").register(registry));
        for (RelayStatus.Fault fault : RelayStatus.Fault.values()) {
            meters.add(FunctionCounter.builder("ferry.relay.restarts", relay, r -> r.status().restarts().get(fault))
                .tags(tags).tag("fault", faultName(fault))
                .description("times the leader restarted its pipeline from the checkpoint, by what failed")
                .register(registry));
        }
        meters.add(Gauge.builder("ferry.relay.stalled", relay,
            r -> r.status().stalled(Instant.now(), stallTimeout) ? 1 : 0)
            .tags(tags).description("1 while changes have waited unacknowledged for longer than admin.stallTimeout")
            .register(registry));
        meters.add(Gauge.builder("ferry.relay.behind.source.ms", relay, ChangeStreamRelay::millisBehindSource)
            .tags(tags).description("now minus the cluster time of the last change published (NaN unless leading)")
            .register(registry));
        meters.add(Gauge.builder("ferry.relay.oplog.headroom.ms", relay, ChangeStreamRelay::oplogHeadroomMillis)
            .tags(tags)
            .description("the checkpoint's cluster time minus the oldest oplog entry's: how much later history "
                + "would be lost (NaN unless leading, or if local.oplog.rs is not readable)").register(registry));
        return meters;
    }

    /** A fault's name in the {@code fault} tag and in status JSON. */
    public static String faultName(RelayStatus.Fault fault) {
        return fault.name().toLowerCase(Locale.ROOT);
    }
}
