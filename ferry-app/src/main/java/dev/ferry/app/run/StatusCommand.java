package dev.ferry.app.run;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import org.bson.Document;

import dev.ferry.app.wiring.Components;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.SourceConfig;
import dev.ferry.core.lease.Lease;
import dev.ferry.core.relay.spi.ChangeSource;
import dev.ferry.core.relay.spi.CheckpointStore;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.mongodb.changestream.ResumeTokenTime;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code ferry status}: the relay's lease, checkpoint, headroom and recorded gaps, and parked aggregates, from
 * MongoDB.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Show who leads the relay, how old its checkpoint is, how close it is to losing history, recorded "
        + "gaps and parked aggregates.")
public final class StatusCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() {
        FerryConfig settings = config.load();
        ServiceLifecycle.requireReachable(settings);
        try (Components components = ServiceLifecycle.components(settings)) {
            String relay = settings.relay().name();
            Optional<Lease> lease = components.leases().read(relay);
            if (lease.isEmpty()) {
                System.out.printf("relay %s: no lease yet (never started)%n", relay);
            } else {
                Optional<CheckpointStore.Checkpoint> checkpoint = components.checkpoints().load(relay);
                System.out.printf("relay %s: leader %s, epoch %s; checkpoint %s%n", relay,
                    lease.get().owner() == null ? "(none)" : lease.get().owner(), lease.get().epoch(),
                    checkpoint.map(saved -> "at sequence " + saved.sequence() + ", "
                        + (System.currentTimeMillis() - saved.savedAt().toEpochMilli()) / 1000 + " s old").orElse("none"));
                boolean exactlyOnce = settings.transport() == FerryConfig.Transport.KAFKA
                    && settings.kafka().exactlyOnce();
                System.out.println(authority(exactlyOnce, exactlyOnce ? settings.kafka().positionsTopic() : null));
                checkpoint.ifPresent(saved -> System.out.println(headroom(saved.token(), components.oplogWindow().read())));
                Set<String> entities = settings.sources().stream()
                    .filter(source -> source instanceof SourceConfig.Entities).map(SourceConfig::name)
                    .collect(Collectors.toSet());
                checkpoint.ifPresent(saved -> copies(saved.copies(), entities).forEach(System.out::println));
            }
            for (Document gap : components.database().getCollection(Components.GAPS).find(new Document("relay",
                settings.relay().name()))) {
                System.out.printf("gap: %s .. %s: %s%n", gap.getDate("from"), gap.getDate("to"), gap.getString("reason"));
            }
            int parked = components.parkedEvents().parkedAggregates(settings.projector().projection()).size();
            System.out.printf("projection %s: %d parked aggregate(s)%n", settings.projector().projection(), parked);
            return 0;
        }
    }

    /**
     * Which position a new leader starts from: the checkpoint shown (MongoDB's), or in Kafka's exactly-once mode the
     * position committed with the records, of which the checkpoint shown is a copy written after each commit.
     */
    static String authority(boolean exactlyOnce, String positionsTopic) {
        return exactlyOnce ? "position: Kafka's exactly-once mode: the position committed with the records in "
            + positionsTopic + " is authoritative; the checkpoint above is MongoDB's copy, written after each commit "
            + "(at most one commit behind)"
            : "position: the checkpoint above (MongoDB) is authoritative";
    }

    /**
     * One line per source copy the checkpoint records: the documents copied and acknowledged, and how it goes on.
     *
     * @param entities the entity sources' names: copied by watermarks, while they stream
     */
    static List<String> copies(Map<String, CheckpointStore.CopyProgress> copies, Set<String> entities) {
        return copies.entrySet().stream().sorted(Map.Entry.comparingByKey()).map(copy -> String.format(Locale.ROOT,
            "copy of %s: %,d documents copied, %s", copy.getKey(), copy.getValue().copied(),
            copy.getValue().complete() ? "complete"
                : copy.getValue().alongsideStream() ? "in progress while the others stream (its own changes follow)"
                : entities.contains(copy.getKey()) ? "in progress by watermarks while it streams"
                : "in progress before streaming")).toList();
    }

    /**
     * How far the checkpoint is behind the source (now minus its cluster time) and from losing history (its cluster
     * time minus the oldest oplog entry's): the figures of the relay's gauges, as the checkpoint has them.
     */
    static String headroom(ResumeToken checkpoint, Optional<ChangeSource.RetainedHistory> oplog) {
        Optional<Instant> time = ResumeTokenTime.of(checkpoint);
        if (time.isEmpty()) {
            return "headroom: unknown (the checkpoint's position carries no cluster time)";
        }
        String behind = String.format(Locale.ROOT, "checkpoint %.1f s behind the source",
            Duration.between(time.get(), Instant.now()).toMillis() / 1000.0);
        return behind + "; " + oplog.map(window -> String.format(Locale.ROOT, "oplog headroom %.1f s (oplog %s)",
                Duration.between(window.oldest(), time.get()).toMillis() / 1000.0, window))
            .orElse("oplog headroom unknown (local.oplog.rs is not readable: on Atlas, a role that can read the "
                + "local database, e.g. clusterMonitor)");
    }
}
