package dev.ferry.spring.boot.internals;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import com.mongodb.client.MongoClient;
import com.mongodb.connection.ClusterDescription;
import com.mongodb.connection.ServerDescription;

import dev.ferry.core.transport.Transport;
import dev.ferry.core.transport.Unanswered;

/**
 * Whether MongoDB and the transport answer, for the health indicator; a health request never waits on either.
 * MongoDB's answer is the application's client's own view (its monitor's last heartbeat, or a failed operation: no
 * extra round trip), as fresh as the client's {@code heartbeatFrequencyMS} (10 s by default). The transport is asked
 * on a thread of its own every {@link #PROBE_INTERVAL}, each time waiting at most {@link #PROBE_TIMEOUT}; requests read
 * the last answer, and an answer that stops coming counts as a problem.
 */
public final class BackendReachability implements AutoCloseable {

    /** How long one transport check waits for an answer. */
    public static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
    /** The pause between two transport checks. */
    public static final Duration PROBE_INTERVAL = Duration.ofSeconds(2);
    /** A check not answered for this long means the transport cannot be asked: its answer counts as a problem. */
    private static final long STALE_NANOS = TimeUnit.SECONDS.toNanos(15);

    private final MongoClient client;
    private final Transport transport;
    private final ScheduledExecutorService prober;
    private final long createdAt = System.nanoTime();
    private volatile Answer last;

    /** The transport's last answer, and when it came. */
    private record Answer(Optional<String> problem, long at) {
    }

    public BackendReachability(MongoClient client, Transport transport) {
        this.client = client;
        this.transport = transport;
        this.prober = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "ferry-" + transport.name() + "-probe");
            thread.setDaemon(true);
            return thread;
        });
        prober.scheduleWithFixedDelay(this::probe, 0, PROBE_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void probe() {
        Optional<String> problem;
        try {
            Unanswered unanswered = transport.problem(PROBE_TIMEOUT);
            problem = Optional.ofNullable(unanswered).map(answer -> answer.line(PROBE_TIMEOUT));
        } catch (RuntimeException e) {
            problem = Optional.of(transport.name() + " could not be asked: " + e);
        }
        last = new Answer(problem, System.nanoTime());
    }

    /** One line naming MongoDB and why it is not writable, if the client sees no server it can write to. */
    public Optional<String> mongoProblem() {
        ClusterDescription cluster = client.getClusterDescription();
        if (cluster.hasWritableServer()) {
            return Optional.empty();
        }
        Throwable error = cluster.getSrvResolutionException() != null ? cluster.getSrvResolutionException()
            : cluster.getServerDescriptions().stream().map(ServerDescription::getException).filter(e -> e != null)
                .findFirst().orElse(null);
        return Optional.of("MongoDB has no writable server"
            + (error == null ? " (" + cluster.getShortDescription() + ")" : ": " + error.getMessage()));
    }

    /** One line naming the transport's servers that did not answer the last check, and why. */
    public Optional<String> transportProblem() {
        Answer answer = last;
        long now = System.nanoTime();
        if (answer == null) {
            return now - createdAt > STALE_NANOS
                ? Optional.of(transport.name() + ": its first check has not answered in 15 s")
                : Optional.of(transport.name() + ": not checked yet");
        }
        if (now - answer.at() > STALE_NANOS) {
            return Optional.of(transport.name() + ": its last check answered "
                + TimeUnit.NANOSECONDS.toSeconds(now - answer.at()) + " s ago; the next has not");
        }
        return answer.problem();
    }

    /** Stops the probe and waits for a check under way to end (a Kafka probe closes its admin client first). */
    @Override
    public void close() {
        prober.shutdownNow();
        try {
            prober.awaitTermination(PROBE_TIMEOUT.toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
