package dev.ferry.app.admin;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.bson.Document;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;

import dev.ferry.config.FerryConfig;

/**
 * Whether MongoDB and Kafka answer, within a few seconds: checked at start-up (one clear line if not) and by the
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
        return mongo != null ? mongo : kafkaProblem();
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
            return "cannot reach MongoDB at " + uri.getHosts() + " within " + TIMEOUT_SECONDS + " s: " + firstLine(e);
        }
    }

    private String kafkaProblem() {
        Map<String, Object> properties = new java.util.HashMap<>(config.kafka().properties());
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka().bootstrapServers());
        properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, TIMEOUT_SECONDS * 1000);
        properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, TIMEOUT_SECONDS * 1000);
        try (Admin admin = Admin.create(properties)) {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs(TIMEOUT_SECONDS * 1000)).nodes()
                .get(TIMEOUT_SECONDS + 1, TimeUnit.SECONDS);
            return null;
        } catch (Exception e) {
            return "cannot reach Kafka at " + config.kafka().bootstrapServers() + " within " + TIMEOUT_SECONDS + " s: "
                + firstLine(e);
        }
    }

    private static String firstLine(Throwable e) {
        Throwable cause = e.getCause() != null && e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
