package dev.ferry.nats;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How Ferry uses NATS JetStream.
 *
 * @param servers         {@code nats://host:port} URLs
 * @param credentialsFile a {@code .creds} file (JWT + NKey), if the servers need one
 * @param tls             connect with TLS (the JVM's default trust store)
 * @param stream          the stream's name and the subjects' prefix: subjects are {@code <stream>.<type>.<partition>}
 * @param partitions      partitions per aggregate type; recorded with the stream, a different count is refused
 * @param replicas        stream replicas (1 for a single server)
 * @param maxAge          how long the stream keeps messages
 * @param dedupeWindow    how long the stream remembers message ids ({@code Nats-Msg-Id} = event id): a relay's
 *                        re-publication after a failover is dropped only while failover time plus checkpoint lag
 *                        stays under it
 * @param maxOutstanding  publishes sent but not yet acknowledged, per relay; beyond it a publish waits
 * @param maxAckPending   messages delivered and not yet acknowledged, per partition's consumer
 * @param ackWait         the consumers' redelivery timer; order never depends on it (a new owner restarts at the
 *                        ack floor, and redeliveries to an owner are dropped), so it only needs to exceed the
 *                        longest time a record waits in a projector
 */
public record NatsSettings(List<String> servers, Optional<String> credentialsFile, boolean tls, String stream,
                           int partitions, int replicas, Duration maxAge, Duration dedupeWindow, int maxOutstanding,
                           int maxAckPending, Duration ackWait) {

    public static final int DEFAULT_PARTITIONS = 12;
    public static final Duration DEFAULT_MAX_AGE = Duration.ofDays(7);
    public static final Duration DEFAULT_DEDUPE_WINDOW = Duration.ofMinutes(2);
    public static final int DEFAULT_MAX_OUTSTANDING = 1_000;
    public static final int DEFAULT_MAX_ACK_PENDING = 5_000;
    public static final Duration DEFAULT_ACK_WAIT = Duration.ofMinutes(5);

    public NatsSettings {
        servers = List.copyOf(servers);
        Objects.requireNonNull(credentialsFile, "credentialsFile");
        new SubjectNaming(stream, partitions); // checks both
        Objects.requireNonNull(maxAge, "maxAge");
        Objects.requireNonNull(dedupeWindow, "dedupeWindow");
        Objects.requireNonNull(ackWait, "ackWait");
        if (servers.isEmpty() || replicas < 1 || maxOutstanding < 1 || maxAckPending < 1) {
            throw new IllegalArgumentException("NATS settings need servers, and replicas, maxOutstanding and "
                + "maxAckPending of at least 1");
        }
    }

    /** A local server without credentials, with the defaults above and one replica. */
    public static NatsSettings local(String url, String stream) {
        return new NatsSettings(List.of(url), Optional.empty(), false, stream, DEFAULT_PARTITIONS, 1, DEFAULT_MAX_AGE,
            DEFAULT_DEDUPE_WINDOW, DEFAULT_MAX_OUTSTANDING, DEFAULT_MAX_ACK_PENDING, DEFAULT_ACK_WAIT);
    }

    public NatsSettings withPartitions(int count) {
        return new NatsSettings(servers, credentialsFile, tls, stream, count, replicas, maxAge, dedupeWindow,
            maxOutstanding, maxAckPending, ackWait);
    }

    public NatsSettings withDedupeWindow(Duration window) {
        return new NatsSettings(servers, credentialsFile, tls, stream, partitions, replicas, maxAge, window,
            maxOutstanding, maxAckPending, ackWait);
    }

    public NatsSettings withMaxOutstanding(int count) {
        return new NatsSettings(servers, credentialsFile, tls, stream, partitions, replicas, maxAge, dedupeWindow,
            count, maxAckPending, ackWait);
    }

    public SubjectNaming subjects() {
        return new SubjectNaming(stream, partitions);
    }
}
