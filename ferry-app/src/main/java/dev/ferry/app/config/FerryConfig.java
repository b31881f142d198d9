package dev.ferry.app.config;

import java.util.List;
import java.util.Map;

import dev.ferry.core.relay.HistoryLostPolicy;

/**
 * Ferry's configuration, as validated by {@link ConfigLoader}. See {@code config/} in the repository for
 * documented examples (Atlas + Kafka, Atlas + Azure Event Hubs).
 */
public record FerryConfig(Mongo mongodb, Kafka kafka, Relay relay, Projector projector, Admin admin) {

    /**
     * @param uri              connection string (Atlas: {@code mongodb+srv://…}); a replica set is needed for change streams
     * @param database         database of the event store, leases, checkpoints, parked events and read models
     * @param eventsCollection the event store's collection
     */
    public record Mongo(String uri, String database, String eventsCollection) {
    }

    /**
     * @param bootstrapServers  {@code host:port,…}
     * @param topicPrefix       topic = prefix + aggregate type
     * @param partitions        partitions of the topics Ferry creates
     * @param replicationFactor replicas of the topics Ferry creates
     * @param deadLetterTopic   where malformed event-store documents go
     * @param idempotence       use the idempotent producer (falls back with a log line where refused)
     * @param compression       producer compression
     * @param lingerMs          producer batching delay, 0..5 ms
     * @param properties        extra Kafka client settings (SASL_SSL for Event Hubs, …)
     */
    public record Kafka(String bootstrapServers, String topicPrefix, int partitions, short replicationFactor,
                        String deadLetterTopic, boolean idempotence, String compression, int lingerMs,
                        Map<String, Object> properties) {
    }

    /**
     * @param name        relay name: its lease and checkpoint are keyed by it
     * @param start       with no checkpoint yet: {@code now}, {@code earliest} (the event store's oldest commit; if the
     *                    oplog no longer reaches back that far, the history-lost policy applies) or an ISO-8601 instant
     * @param historyLost {@code fail} or {@code restart-from-now}
     */
    public record Relay(String name, String start, HistoryLostPolicy historyLost) {
    }

    /**
     * @param projection     read-model collection and consumer-group name of {@code ferry project}
     * @param aggregateTypes the aggregate types (topics) it reads
     * @param lanes          aggregates processed in parallel per instance
     * @param applyLog       also record every applied version in the read model ({@code _applyLog}), to verify
     *                       that nothing was applied twice; grows with history, so off by default
     * @param notifyUrl      if set, every event is also POSTed there (JSON, {@code Idempotency-Key} header) through
     *                       a circuit breaker before its read-model write; empty: no notification
     */
    public record Projector(String projection, List<String> aggregateTypes, int lanes, boolean applyLog,
                            String notifyUrl) {
    }

    /**
     * @param bind  address the admin HTTP server binds to
     * @param port  its port
     * @param token bearer token that endpoints changing anything require; empty disables them
     */
    public record Admin(String bind, int port, String token) {
    }
}
