package dev.ferry.spring.boot.internals;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import com.mongodb.client.MongoClient;
import com.mongodb.connection.ClusterDescription;

import dev.ferry.core.transport.Transport;
import dev.ferry.core.transport.Unanswered;

/**
 * Whether MongoDB and the transport answer, for the health indicator. MongoDB's answer is the application's client's
 * own view (its monitor's last heartbeat, or a failed operation: no extra round trip, never blocks), so it is as fresh
 * as the client's {@code heartbeatFrequencyMS} (10 s by default); the transport is asked with a short timeout and the
 * answer kept briefly, so that probes do not hammer the broker.
 */
public final class BackendReachability {

    /** How long one transport check waits for an answer. */
    public static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
    private static final long CACHE_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final MongoClient client;
    private final Transport transport;
    private Optional<String> lastTransportProblem = Optional.empty();
    private long checkedAt;
    private boolean checked;

    public BackendReachability(MongoClient client, Transport transport) {
        this.client = client;
        this.transport = transport;
    }

    /** One line naming MongoDB and why it is not writable, if the client sees no server it can write to. */
    public Optional<String> mongoProblem() {
        ClusterDescription cluster = client.getClusterDescription();
        if (cluster.hasWritableServer()) {
            return Optional.empty();
        }
        Throwable error = cluster.getSrvResolutionException() != null ? cluster.getSrvResolutionException()
            : cluster.getServerDescriptions().stream().map(server -> server.getException()).filter(e -> e != null)
                .findFirst().orElse(null);
        return Optional.of("MongoDB has no writable server"
            + (error == null ? " (" + cluster.getShortDescription() + ")" : ": " + error.getMessage()));
    }

    /** One line naming the transport's servers that did not answer within {@link #PROBE_TIMEOUT}, and why. */
    public synchronized Optional<String> transportProblem() {
        long now = System.nanoTime();
        if (!checked || now - checkedAt > CACHE_NANOS) {
            Unanswered unanswered = transport.problem(PROBE_TIMEOUT);
            lastTransportProblem = Optional.ofNullable(unanswered).map(problem -> problem.line(PROBE_TIMEOUT));
            checkedAt = System.nanoTime();
            checked = true;
        }
        return lastTransportProblem;
    }
}
