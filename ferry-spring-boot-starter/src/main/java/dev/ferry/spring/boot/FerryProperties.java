package dev.ferry.spring.boot;

import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import dev.ferry.core.relay.HistoryLostPolicy;

/**
 * Ferry's settings in a Spring Boot application (ferry.*). The transport, relay and projector sections take
 * the same keys, defaults and checks as the CLI's ferry.yml (a mistake fails the context with one line naming
 * the key); the MongoDB connection is the application's own MongoClient.
 *
 * @param database         Ferry's own database: leases (ferry_leases), parked events and the projections'
 *                         read models (a collection per projection, named after it)
 * @param eventsDatabase   the event store's database; empty: database
 * @param eventsCollection the event store's collection
 * @param transport        where events travel: kafka or nats (JetStream)
 * @param instanceId       this instance's name in leases and consumer names; empty: a random one per start
 * @param stallTimeout     how long work may wait without progress before the health indicator says DOWN, as in
 *                         ferry.yml's admin.stallTimeout
 * @param kafka            the Kafka transport
 * @param nats             the NATS JetStream transport
 * @param relay            the relay in this application (off by default: most run it as its own process)
 * @param projector        how the projections declared as beans run
 */
@ConfigurationProperties("ferry")
public record FerryProperties(
    @DefaultValue("ferry") String database,
    @DefaultValue("") String eventsDatabase,
    @DefaultValue("events") String eventsCollection,
    @DefaultValue("kafka") TransportKind transport,
    @DefaultValue("") String instanceId,
    @DefaultValue("60s") String stallTimeout,
    @DefaultValue Kafka kafka,
    @DefaultValue Nats nats,
    @DefaultValue Relay relay,
    @DefaultValue Projector projector) {

    /** The transports Ferry has. */
    public enum TransportKind {
        KAFKA, NATS
    }

    /**
     * The Kafka transport (the keys of ferry.yml's kafka section).
     *
     * @param bootstrapServers  host:port,…
     * @param topicPrefix       topic = prefix + aggregate type; default ferry.
     * @param partitions        partitions of the topics Ferry creates; default 12
     * @param replicationFactor replicas of the topics Ferry creates; default 3
     * @param deadLetterTopic   where refused documents go; default topicPrefix + dead-letter
     * @param idempotence       the idempotent producer; default true
     * @param compression       producer compression: none, gzip, snappy, lz4 or zstd
     * @param lingerMs          producer batching delay in milliseconds; default 0
     * @param properties        further Kafka client properties, by their Kafka names (security.protocol,
     *                          sasl.mechanism, …); those Ferry's guarantees rest on are refused
     */
    public record Kafka(String bootstrapServers, String topicPrefix, Integer partitions, Integer replicationFactor,
                        String deadLetterTopic, Boolean idempotence, String compression, Integer lingerMs,
                        Map<String, String> properties) {
    }

    /**
     * The NATS JetStream transport (the keys of ferry.yml's nats section).
     *
     * @param servers         nats://host:port,…
     * @param credentialsFile a .creds file, if the servers need one
     * @param tls             connect with TLS
     * @param stream          the stream's name and the subjects' first token; default ferry
     * @param partitions      partitions per aggregate type; default 12
     * @param replicas        the stream's replicas; default 1
     * @param maxAge          how long the stream keeps messages; default 7d
     * @param dedupeWindow    how long the stream drops a re-published event id; default 2m
     * @param maxAckPending   unacknowledged messages per partition consumer; default 5000
     * @param ackWait         how long a delivered message may stay unacknowledged; default 5m
     */
    public record Nats(String servers, String credentialsFile, Boolean tls, String stream, Integer partitions,
                       Integer replicas, String maxAge, String dedupeWindow, Integer maxAckPending, String ackWait) {
    }

    /**
     * A relay in this application: one leader among every relay of the same name (a lease in MongoDB), the others
     * stand by.
     *
     * @param enabled                run a relay instance in this application
     * @param name                   the relay's name: its lease and checkpoint are keyed by it; default ferry-relay
     * @param start                  where a relay with no checkpoint starts: now, earliest or an ISO-8601 instant
     * @param historyLost            what the relay does when the oplog no longer holds its checkpoint
     * @param leaseTtl               how long a leader's lease lasts unrenewed; default 1s
     * @param idleCheckpointInterval how often, at most, an idle relay writes its checkpoint; default 5s
     */
    public record Relay(@DefaultValue("false") boolean enabled, String name, String start,
                        HistoryLostPolicy historyLost, String leaseTtl, String idleCheckpointInterval) {
    }

    /**
     * @param lanes    aggregates applied at once per instance; default 16
     * @param applyLog also record every applied version in the read model (_applyLog), to verify
     *                 exactly-once in effect
     */
    public record Projector(Integer lanes, Boolean applyLog) {
    }
}
