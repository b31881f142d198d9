package dev.ferry.app.admin;

import java.util.concurrent.TimeUnit;

import org.bson.Document;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;

import dev.ferry.app.wiring.Transport;
import dev.ferry.config.FerryConfig;

/**
 * Whether MongoDB and the transport (Kafka or NATS) answer, within a few seconds: checked at start-up (one clear line if not) and by the
 * readiness endpoint (cached briefly, so probes do not hammer the backends).
 */
public final class Reachability {

    private static final int TIMEOUT_SECONDS = 5;
    private static final long CACHE_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final FerryConfig config;
    private volatile boolean lastReady;
    private volatile long checkedAt;

    public Reachability(FerryConfig config) {
        this.config = config;
    }

    /** @return null if both answer, else one line naming the unreachable one and why */
    public String problem() {
        String mongo = mongoProblem();
        return mongo != null ? mongo : Transport.of(config).problem(TIMEOUT_SECONDS);
    }

    public boolean ready() {
        long now = System.nanoTime();
        if (now - checkedAt > CACHE_NANOS) {
            lastReady = problem() == null;
            checkedAt = now;
        }
        return lastReady;
    }

    private String mongoProblem() {
        ConnectionString uri = new ConnectionString(config.mongodb().uri());
        MongoClientSettings settings = MongoClientSettings.builder().applyConnectionString(uri)
            .applyToClusterSettings(b -> b.serverSelectionTimeout(TIMEOUT_SECONDS, TimeUnit.SECONDS))
            .applyToSocketSettings(b -> b.connectTimeout(TIMEOUT_SECONDS, TimeUnit.SECONDS)).build();
        try (MongoClient client = MongoClients.create(settings)) {
            client.getDatabase("admin").runCommand(new Document("ping", 1));
            return null;
        } catch (RuntimeException e) {
            return "cannot reach MongoDB at " + uri.getHosts() + " within " + TIMEOUT_SECONDS + " s: " + Transport.firstLine(e);
        }
    }

}
