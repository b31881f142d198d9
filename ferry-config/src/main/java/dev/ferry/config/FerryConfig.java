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
 * @param transport where events go: {@code kafka} (default) or {@code nats}
 * @param kafka     the Kafka transport; may be left out (null) when the transport is {@code nats}
 * @param nats      the NATS JetStream transport; given only with {@code transport: nats} (null otherwise)
 * @param relay     the relay
 * @param projector {@code ferry project}
 * @param targets   replication targets of {@code ferry replicate}
 * @param admin     the admin HTTP server of every process
 * @param startupTimeout how long {@code relay}, {@code project} and {@code replicate} wait at start for MongoDB and
 *                  the transport to answer (not ready meanwhile) before giving up with exit status 3, e.g. {@code 60s}
 */
public record FerryConfig(Mongo mongodb, List<SourceConfig> sources, Transport transport, Kafka kafka, Nats nats,
                          Relay relay, Projector projector, List<TargetConfig> targets, Admin admin,
                          String startupTimeout) {

    public FerryConfig {
        startupTimeout = SettingValues.duration("startupTimeout", startupTimeout, "60s");
        mongodb = section("mongodb", mongodb, () -> new Mongo(null, null));
        transport = transport == null ? Transport.KAFKA : transport;
        if (transport == Transport.KAFKA || kafka != null) {
            kafka = section("kafka", kafka, () -> new Kafka(null, null, null, null, null, null, null, null, null));
        }
        if (transport == Transport.NATS) {
            nats = section("nats", nats, () -> new Nats(null, null, null, null, null, null, null, null, null, null));
        } else if (nats != null) {
            throw SettingError.invalid("nats", "given, but the transport is kafka; set transport: nats to use it");
        }
        relay = section("relay", relay, () -> new Relay(null, null, null, null));
        projector = section("projector", projector, () -> new Projector(null, null, null, null, null));
        admin = section("admin", admin, () -> new Admin(null, null, null, null));
        targets = targets == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(targets));
        TopicNaming naming = new TopicNaming(kafka == null ? "" : kafka.topicPrefix());
        sources = SourceRules.resolve(sources, mongodb.database(), naming);
        checkProjectedTypes(projector.aggregateTypes(), sources, naming);
        if (transport == Transport.NATS) {
            Nats.checkTypes(projector.aggregateTypes(), sources);
        }
        checkImagesAllOrNone(sources);
        checkTargets(targets, sources, projector);
    }

    public java.time.Duration startupTimeoutDuration() {
        return SettingValues.toDuration(startupTimeout);
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
        // An entity's topic holds entity changes and tombstones, not events: a projector could read none of them.
        for (SourceConfig source : sources) {
            if (source instanceof SourceConfig.Entities entities && types.contains(entities.entity())) {
                throw SettingError.invalid("projector.aggregateTypes", "'" + entities.entity() + "' is an entity "
                    + "(sources: kind entities): its topic carries entity changes, not events; projectors read "
                    + "aggregate types");
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

    /**
     * Targets have unique names, none a projection's (each is a consumer group), and replicate entities that an
     * {@code entities} source publishes.
     */
    /** One change stream reads every source: its post-image option is one for all entity sources. */
    private static void checkImagesAllOrNone(List<SourceConfig> sources) {
        List<SourceConfig.Entities> entitySources = sources.stream().filter(SourceConfig.Entities.class::isInstance)
            .map(SourceConfig.Entities.class::cast).toList();
        if (entitySources.stream().map(SourceConfig.Entities::prePostImages).distinct().count() > 1) {
            int odd = sources.indexOf(entitySources.stream()
                .filter(e -> e.prePostImages() != entitySources.get(0).prePostImages()).findFirst().orElseThrow());
            throw SettingError.invalid("sources[" + odd + "].prePostImages", "expected the same for every entities "
                + "source (one change stream reads them all: post-images for all, or update lookups for all)");
        }
    }

    private static void checkTargets(List<TargetConfig> targets, List<SourceConfig> sources, Projector projector) {
        List<String> published = sources.stream().filter(source -> source instanceof SourceConfig.Entities)
            .flatMap(source -> source.claims().stream()).toList();
        for (int i = 0; i < targets.size(); i++) {
            TargetConfig target = targets.get(i);
            for (int j = 0; j < i; j++) {
                if (targets.get(j).name().equals(target.name())) {
                    throw SettingError.invalid("targets[" + i + "].name", "'" + target.name() + "' is already the "
                        + "name of targets[" + j + "]; each target is a consumer group of its own");
                }
            }
            if (target.name().equals(projector.projection())) {
                throw SettingError.invalid("targets[" + i + "].name", "'" + target.name() + "' is the projector's "
                    + "projection name; each is a consumer group of its own");
            }
            for (String entity : target.entities()) {
                if (!published.contains(entity)) {
                    throw SettingError.invalid("targets[" + i + "].entities", "'" + entity + "' is published by no "
                        + "entities source; the entities sources publish " + published);
                }
            }
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
     * The NATS JetStream transport: one stream, subjects {@code <stream>.<type>.<partition>}.
     *
     * @param servers         {@code nats://host:port,…}
     * @param credentialsFile a {@code .creds} file, if the servers need one; empty: none
     * @param tls             connect with TLS
     * @param stream          the stream's name and the subjects' first token
     * @param partitions      partitions per aggregate type, recorded with the stream (a different count is refused)
     * @param replicas        stream replicas
     * @param maxAge          how long the stream keeps messages, e.g. {@code 7d}
     * @param dedupeWindow    how long the stream drops a re-published event id, e.g. {@code 2m}; dedupe holds only
     *                        while failover time plus checkpoint lag stays under it
     * @param maxAckPending   messages delivered, not yet acknowledged, per partition's consumer
     * @param ackWait         the consumers' redelivery timer, e.g. {@code 5m}; order never depends on it
     */
    public record Nats(String servers, String credentialsFile, Boolean tls, String stream,
                       @WholeNumber(min = 1, max = Kafka.MAX_PARTITIONS) Integer partitions,
                       @WholeNumber(min = 1, max = 5) Integer replicas, String maxAge, String dedupeWindow,
                       @WholeNumber(min = 1, max = 1_000_000) Integer maxAckPending, String ackWait) {

        /**
         * One subject token: the configuration's copy of ferry-nats' {@code SubjectNaming} rule (this module has no
         * NATS client); {@code NatsSettingsAgreeWithConfigTest} keeps the two equal.
         */
        public static final String TOKEN = "[A-Za-z0-9_-]+";

        public Nats {
            servers = SettingValues.required("servers", servers, "nats://host:port[,nats://host:port…]",
                value -> value.matches("(nats|tls)://[^,\\s]+(,(nats|tls)://[^,\\s]+)*"));
            credentialsFile = SettingValues.text(credentialsFile, "");
            tls = SettingValues.flag(tls, false);
            stream = SettingValues.text(stream, "ferry");
            if (!stream.matches(TOKEN)) {
                throw SettingError.invalid("stream", "may only contain A-Z a-z 0-9 _ - (it is the subjects' first "
                    + "token), got '" + stream + "'");
            }
            partitions = SettingValues.wholeNumber("partitions", partitions, 12, 1, Kafka.MAX_PARTITIONS);
            replicas = SettingValues.wholeNumber("replicas", replicas, 1, 1, 5);
            maxAge = SettingValues.duration("maxAge", maxAge, "7d");
            dedupeWindow = SettingValues.duration("dedupeWindow", dedupeWindow, "2m");
            maxAckPending = SettingValues.wholeNumber("maxAckPending", maxAckPending, 5_000, 1, 1_000_000);
            ackWait = SettingValues.duration("ackWait", ackWait, "5m");
        }

        public java.time.Duration maxAgeDuration() {
            return SettingValues.toDuration(maxAge);
        }

        public java.time.Duration dedupeWindowDuration() {
            return SettingValues.toDuration(dedupeWindow);
        }

        public java.time.Duration ackWaitDuration() {
            return SettingValues.toDuration(ackWait);
        }

        public java.util.List<String> serverList() {
            return java.util.List.of(servers.split(","));
        }

        /** On NATS a type is one subject token: no '.', '*' or '>'. */
        static void checkTypes(List<String> projected, List<SourceConfig> sources) {
            for (int i = 0; i < projected.size(); i++) {
                checkType("projector.aggregateTypes", projected.get(i));
            }
            for (int i = 0; i < sources.size(); i++) {
                for (String type : sources.get(i).claims()) {
                    checkType("sources[" + i + "]." + sources.get(i).claimsKey(), type);
                }
            }
        }

        private static void checkType(String key, String type) {
            if (!type.matches(TOKEN)) {
                throw SettingError.invalid(key, "'" + type + "' may only contain A-Z a-z 0-9 _ - on NATS (it becomes "
                    + "one subject token: no '.', '*' or '>')");
            }
        }
    }

    /**
     * @param name        relay name: its lease and checkpoint are keyed by it
     * @param start       with no checkpoint yet: {@code now}, {@code earliest} (copy every source, then stream: the same
     *                    copy as {@code initialLoad: copy}, for every source) or an ISO-8601 instant (if the oplog no
     *                    longer reaches back that far, the history-lost policy applies)
     * @param historyLost {@code fail}, {@code restart-from-now} or {@code recopy} (copy every source again, then
     *                    stream)
     * @param leaseTtl    how long a leader's lease lasts unrenewed ({@code 1s}); failover takes about this long, and a
     *                    leader steps down if MongoDB does not answer its renewals within it
     */
    public record Relay(String name, String start, HistoryLostPolicy historyLost, String leaseTtl) {

        public Relay {
            leaseTtl = SettingValues.duration("leaseTtl", leaseTtl, "1s");
            if (SettingValues.toDuration(leaseTtl).toMillis() < 100) {
                throw SettingError.invalid("leaseTtl", "expected at least 100ms, got '" + leaseTtl + "'");
            }
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

        public java.time.Duration leaseTtlDuration() {
            return SettingValues.toDuration(leaseTtl);
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
     * @param bind         address the admin HTTP server binds to
     * @param port         its port
     * @param token        bearer token that endpoints changing anything require; empty disables them
     * @param stallTimeout how long work may wait without any progress before {@code /health/ready} reports the
     *                     process stalled (a relay's changes unacknowledged, a projector's or replicator's fetched
     *                     records unfinished), e.g. {@code 60s}
     */
    public record Admin(String bind, @WholeNumber(min = 0, max = MAX_PORT) Integer port, String token,
                        String stallTimeout) {

        static final int MAX_PORT = 65535;

        public Admin {
            bind = SettingValues.text(bind, "0.0.0.0");
            port = SettingValues.wholeNumber("port", port, 8080, 0, MAX_PORT);
            token = SettingValues.text(token, "");
            stallTimeout = SettingValues.duration("stallTimeout", stallTimeout, "60s");
        }

        public java.time.Duration stallTimeoutDuration() {
            return SettingValues.toDuration(stallTimeout);
        }
    }
}
