package dev.ferry.app.admin;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.bson.Document;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;

import dev.ferry.app.wiring.Transports;
import dev.ferry.config.FerryConfig;
import dev.ferry.core.transport.Unanswered;

/**
 * Whether MongoDB and the transport (Kafka or NATS) answer, within a few seconds: waited for at start-up (one clear
 * line if they never do) and checked by the readiness endpoint (cached briefly, so probes do not hammer the backends).
 */
public final class Reachability {

    /** How long one check waits for a backend to answer. */
    public static final Duration PROBE_TIMEOUT = Duration.ofSeconds(5);
    private static final long CACHE_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final FerryConfig config;
    private volatile boolean lastReady;
    private volatile long checkedAt;

    public Reachability(FerryConfig config) {
        this.config = config;
    }

    /** @return null if both answer within {@link #PROBE_TIMEOUT}, else one line naming the unreachable one and why */
    public String problem() {
        Unanswered unanswered = firstUnanswered(PROBE_TIMEOUT);
        return unanswered == null ? null : unanswered.line(PROBE_TIMEOUT);
    }

    /** @return null if MongoDB and then the transport answer, each within {@code timeout}; else the first that did not */
    public Unanswered firstUnanswered(Duration timeout) {
        Unanswered mongo = mongoProblem(timeout);
        return mongo != null ? mongo : Transports.of(config).problem(timeout);
    }

    public boolean ready() {
        long now = System.nanoTime();
        if (now - checkedAt > CACHE_NANOS) {
            lastReady = problem() == null;
            checkedAt = now;
        }
        return lastReady;
    }

    private Unanswered mongoProblem(Duration timeout) {
        ConnectionString uri = new ConnectionString(config.mongodb().uri());
        MongoClientSettings settings = MongoClientSettings.builder().applyConnectionString(uri)
            .applyToClusterSettings(b -> b.serverSelectionTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS))
            .applyToSocketSettings(b -> b.connectTimeout((int) timeout.toMillis(), TimeUnit.MILLISECONDS)).build();
        try (MongoClient client = MongoClients.create(settings)) {
            client.getDatabase("admin").runCommand(new Document("ping", 1));
            return null;
        } catch (RuntimeException e) {
            return Unanswered.of("MongoDB at " + uri.getHosts(), e);
        }
    }

}
