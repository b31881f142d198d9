package dev.ferry.app.run;

import java.util.concurrent.Callable;

import org.bson.Document;

import dev.ferry.app.wiring.Components;
import dev.ferry.config.FerryConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code ferry status}: the relay's lease, checkpoint and recorded gaps, and parked aggregates, from MongoDB. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Show who leads the relay, how old its checkpoint is, recorded gaps and parked aggregates.")
public final class StatusCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() {
        FerryConfig settings = config.load();
        ServiceLifecycle.requireReachable(settings);
        try (Components components = ServiceLifecycle.components(settings)) {
            Document lease = components.database().getCollection(Components.LEASES)
                .find(new Document("_id", settings.relay().name())).first();
            if (lease == null) {
                System.out.printf("relay %s: no lease yet (never started)%n", settings.relay().name());
            } else {
                Document checkpoint = lease.get("checkpoint", Document.class);
                System.out.printf("relay %s: leader %s, epoch %s; checkpoint %s%n", settings.relay().name(),
                    lease.getString("owner") == null ? "(none)" : lease.getString("owner"), lease.get("epoch"),
                    checkpoint == null ? "none"
                        : "at sequence " + checkpoint.get("sequence") + ", "
                            + (System.currentTimeMillis() - checkpoint.getDate("savedAt").getTime()) / 1000 + " s old");
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
}
