package dev.ferry.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;

import dev.ferry.core.partition.TopicNaming;
import dev.ferry.core.relay.HistoryLostPolicy;

/**
 * Ferry's configuration, as read by {@link ConfigLoader} or built directly (a library, a Spring Boot starter). Every
 * record applies its defaults and checks its values in its constructor; a mistake is one {@link ConfigError} line.
 * See {@code config/} in the repository for documented examples.
 *
 * @param mongodb   Ferry's own MongoDB: leases, checkpoints, parked events, read models
 * @param sources   what the relay reads; default: one {@code commits} source on collection {@code events}
 * @param transport where events go: {@code kafka} (default) or {@code nats} (not available yet)
 * @param kafka     the Kafka transport
 * @param nats      the NATS transport (not available yet)
 * @param relay     the relay
 * @param projector {@code ferry project}
 * @param targets   replication targets (not available yet)
 * @param admin     the admin HTTP server of every process
 */
public record FerryConfig(Mongo mongodb, List<SourceConfig> sources, Transport transport, Kafka kafka, Nats nats,
                          Relay relay, Projector projector, List<Target> targets, Admin admin) {

    public FerryConfig {
        mongodb = section("mongodb", mongodb, () -> new Mongo(null, null));
        kafka = section("kafka", kafka, () -> new Kafka(null, null, null, null, null, null, null, null, null));
        relay = section("relay", relay, () -> new Relay(null, null, null));
        projector = section("projector", projector, () -> new Projector(null, null, null, null, null));
        admin = section("admin", admin, () -> new Admin(null, null, null));
        transport = transport == null ? Transport.KAFKA : transport;
        targets = targets == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(targets));
        TopicNaming naming = new TopicNaming(kafka.topicPrefix());
        sources = SourceRules.resolve(sources, mongodb.database(), naming);
        checkProjectedTypes(projector.aggregateTypes(), sources, naming);
        // After the shape's own rules, so that a file is told about a conflict before it is told to wait for a feature.
        refuseWhatIsNotAvailable(sources, transport, nats, targets);
    }

    private static <T> T section(String name, T value, Supplier<T> defaults) {
        if (value != null) {
            return value;
        }
        try {
            return defaults.get();
        } catch (SettingError e) {
            throw e.under(name);
        }
    }

    private static void checkProjectedTypes(List<String> types, List<SourceConfig> sources, TopicNaming naming) {
        for (String type : types) {
            try {
                naming.checkAggregateType(type);
            } catch (IllegalArgumentException e) {
                throw SettingError.invalid("projector.aggregateTypes", e.getMessage());
            }
        }
        // A commits source that lists no types holds any type; otherwise a projected type must come from somewhere.
        if (sources.stream().allMatch(source -> !source.claims().isEmpty())) {
            List<String> claimed = sources.stream().flatMap(source -> source.claims().stream()).toList();
            types.stream().filter(type -> !claimed.contains(type)).findFirst().ifPresent(type -> {
                throw SettingError.invalid("projector.aggregateTypes", "'" + type + "' is claimed by no source; the "
                    + "sources claim " + claimed);
            });
        }
    }

    private static void refuseWhatIsNotAvailable(List<SourceConfig> sources, Transport transport, Nats nats,
                                                 List<Target> targets) {
        for (int i = 0; i < sources.size(); i++) {
            if (sources.get(i) instanceof SourceConfig.Entities) {
                throw SettingError.invalid("sources[" + i + "].kind", "'" + sources.get(i).kind()
                    + "' is not available yet in this version of Ferry; available: [" + SourceConfig.Commits.KIND + ", "
                    + SourceConfig.Events.KIND + "]");
            }
        }
        if (transport != Transport.KAFKA || nats != null) {
            throw SettingError.invalid(nats != null && transport == Transport.KAFKA ? "nats" : "transport",
                "'nats' is not available yet in this version of Ferry; available: [kafka]");
        }
        if (!targets.isEmpty()) {
            throw SettingError.invalid("targets[0]", "replication targets are not available yet in this version of "
                + "Ferry; remove the targets");
        }
    }

    /** Where events go. */
    public enum Transport {
        KAFKA, NATS;

        @JsonCreator
        static Transport named(String name) {
            return Arrays.stream(values()).filter(t -> t.toString().equals(name.trim())).findFirst()
                .orElseThrow(() -> SettingError.invalid("", "expected one of " + Arrays.toString(values()) + ", got '"
                    + name + "'"));
        }

        /** The file's spelling. */
        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * @param uri      connection string (Atlas: {@code mongodb+srv://…}); a replica set is needed for change streams
     * @param database Ferry's own database: leases, checkpoints, parked events, read models; also the default
     *                 database of every source
     */
    public record Mongo(String uri, String database) {

        public Mongo {
            uri = SettingValues.required("uri", uri, "a MongoDB connection string (mongodb:// or mongodb+srv://)",
                value -> value.startsWith("mongodb://") || value.startsWith("mongodb+srv://"));
            database = SettingValues.text(database, "ferry");
        }
    }

    /**
     * @param bootstrapServers  {@code host:port,…}
     * @param topicPrefix       topic = prefix + aggregate type
     * @param partitions        partitions of the topics Ferry creates
     * @param replicationFactor replicas of the topics Ferry creates
     * @param deadLetterTopic   where malformed event-store documents go
     * @param idempotence       use the idempotent producer (falls back with a log line where refused)
     * @param compression       producer compression, one of {@link #COMPRESSIONS}
     * @param lingerMs          producer batching delay, 0..{@link #MAX_LINGER_MS} ms
     * @param properties        extra Kafka client settings (SASL_SSL for Event Hubs, …), never one of
     *                          {@link #OWNED_CLIENT_PROPERTIES}
     */
    public record Kafka(String bootstrapServers, String topicPrefix,
                        @WholeNumber(min = 1, max = MAX_PARTITIONS) Integer partitions,
                        @WholeNumber(min = 1, max = MAX_REPLICATION_FACTOR) Integer replicationFactor,
                        String deadLetterTopic, Boolean idempotence, String compression,
                        @WholeNumber(min = 0, max = MAX_LINGER_MS) Integer lingerMs,
                        @JsonDeserialize(contentAs = String.class) Map<String, Object> properties) {

        // The names and values below are the configuration's own copy of ferry-kafka's KafkaSettings rules, as plain
        // strings so that this module needs no Kafka client; a test in ferry-kafka keeps the two equal.

        /** The producer's {@code compression.type} values. */
        public static final Set<String> COMPRESSIONS = Set.of("none", "gzip", "snappy", "lz4", "zstd");

        /** Longest {@code lingerMs} accepted: a longer wait would trade Ferry's latency for batching. */
        public static final int MAX_LINGER_MS = 5;

        /** The producer's default batching delay: with requests in flight it batches what arrives meanwhile anyway. */
        public static final int DEFAULT_LINGER_MS = 0;

        /** Client settings Ferry's guarantees rest on or that have a setting of their own: never overridable. */
        public static final Set<String> OWNED_CLIENT_PROPERTIES = Set.of("bootstrap.servers", "client.id", "acks",
            "enable.idempotence", "max.in.flight.requests.per.connection", "retries", "delivery.timeout.ms",
            "linger.ms", "batch.size", "compression.type", "transactional.id", "key.serializer", "value.serializer",
            "key.deserializer", "value.deserializer", "group.id", "enable.auto.commit", "auto.offset.reset",
            "isolation.level", "partition.assignment.strategy", "session.timeout.ms", "heartbeat.interval.ms",
            "max.poll.records");

        static final int MAX_PARTITIONS = 10_000;
        static final int MAX_REPLICATION_FACTOR = 32;

        /** Owned client properties that a setting of Ferry's sets: the error names that setting. */
        private static final Map<String, String> SETTING_FOR_CLIENT_PROPERTY = Map.of("compression.type",
            "kafka.compression", "linger.ms", "kafka.lingerMs", "enable.idempotence", "kafka.idempotence",
            "bootstrap.servers", "kafka.bootstrapServers");

        public Kafka {
            bootstrapServers = SettingValues.required("bootstrapServers", bootstrapServers, "host:port[,host:port…]",
                value -> value.matches("[^,\\s]+:\\d+(,[^,\\s]+:\\d+)*"));
            topicPrefix = SettingValues.text(topicPrefix, "ferry.");
            try {
                new TopicNaming(topicPrefix);
            } catch (IllegalArgumentException e) {
                throw SettingError.invalid("topicPrefix", e.getMessage());
            }
            partitions = SettingValues.wholeNumber("partitions", partitions, 12, 1, MAX_PARTITIONS);
            replicationFactor = SettingValues.wholeNumber("replicationFactor", replicationFactor, 3, 1,
                MAX_REPLICATION_FACTOR);
            deadLetterTopic = SettingValues.text(deadLetterTopic, topicPrefix + "dead-letter");
            idempotence = SettingValues.flag(idempotence, true);
            compression = SettingValues.text(compression, "none");
            if (!COMPRESSIONS.contains(compression)) {
                throw SettingError.invalid("compression", "expected one of " + new java.util.TreeSet<>(COMPRESSIONS)
                    + " (Azure Event Hubs: none or gzip), got '" + compression + "'");
            }
            lingerMs = SettingValues.wholeNumber("lingerMs", lingerMs, DEFAULT_LINGER_MS, 0, MAX_LINGER_MS);
            properties = clientProperties(properties);
        }

        private static Map<String, Object> clientProperties(Map<String, Object> properties) {
            Map<String, Object> checked = new LinkedHashMap<>();
            if (properties != null) {
                properties.forEach((key, value) -> {
                    if (OWNED_CLIENT_PROPERTIES.contains(key)) {
                        String setting = SETTING_FOR_CLIENT_PROPERTY.get(key);
                        throw SettingError.invalid("properties." + key, "set by Ferry" + (setting == null ? ""
                            : "; use " + setting) + ", not overridable");
                    }
                    if (value == null) {
                        throw SettingError.invalid("properties." + key, "expected a value");
                    }
                    checked.put(key, value);
                });
            }
            return Collections.unmodifiableMap(checked);
        }
    }

    /**
     * The NATS transport; part of the configuration's shape, not available yet.
     *
     * @param servers {@code nats://host:port,…}
     */
    public record Nats(String servers) {
    }

    /**
     * @param name        relay name: its lease and checkpoint are keyed by it
     * @param start       with no checkpoint yet: {@code now}, {@code earliest} (the event store's oldest commit; if the
     *                    oplog no longer reaches back that far, the history-lost policy applies) or an ISO-8601 instant
     * @param historyLost {@code fail} or {@code restart-from-now}
     */
    public record Relay(String name, String start, HistoryLostPolicy historyLost) {

        public Relay {
            name = SettingValues.text(name, "ferry-relay");
            start = SettingValues.text(start, "now");
            if (!start.equals("now") && !start.equals("earliest")) {
                try {
                    java.time.Instant.parse(start);
                } catch (java.time.format.DateTimeParseException e) {
                    throw SettingError.invalid("start", "expected 'now', 'earliest' or an ISO-8601 instant such as "
                        + "2026-01-31T00:00:00Z, got '" + start + "'");
                }
            }
            historyLost = historyLost == null ? HistoryLostPolicy.FAIL : historyLost;
        }
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
    public record Projector(String projection, List<String> aggregateTypes,
                            @WholeNumber(min = 1, max = MAX_LANES) Integer lanes, Boolean applyLog, String notifyUrl) {

        static final int MAX_LANES = 1024;

        public Projector {
            projection = SettingValues.text(projection, "latest_state");
            aggregateTypes = SettingValues.list("aggregateTypes", aggregateTypes);
            lanes = SettingValues.wholeNumber("lanes", lanes, 16, 1, MAX_LANES);
            applyLog = SettingValues.flag(applyLog, false);
            notifyUrl = SettingValues.text(notifyUrl, "");
            if (!notifyUrl.isEmpty() && !notifyUrl.matches("https?://\\S+")) {
                throw SettingError.invalid("notifyUrl", "expected an http:// or https:// URL, got '" + notifyUrl + "'");
            }
        }
    }

    /**
     * A replication target; part of the configuration's shape, not available yet. Its settings are fixed when
     * replication is built, so until then an entry is refused whole, whatever it holds.
     *
     * @param name the target's name
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Target(String name) {
    }

    /**
     * @param bind  address the admin HTTP server binds to
     * @param port  its port
     * @param token bearer token that endpoints changing anything require; empty disables them
     */
    public record Admin(String bind, @WholeNumber(min = 0, max = MAX_PORT) Integer port, String token) {

        static final int MAX_PORT = 65535;

        public Admin {
            bind = SettingValues.text(bind, "0.0.0.0");
            port = SettingValues.wholeNumber("port", port, 8080, 0, MAX_PORT);
            token = SettingValues.text(token, "");
        }
    }
}
