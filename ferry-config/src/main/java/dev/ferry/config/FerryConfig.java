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
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;

import dev.ferry.core.partition.TopicNaming;
import dev.ferry.core.relay.HistoryLostPolicy;

/**
 * Ferry's configuration, as read by {@link ConfigLoader} or built directly (a library, a Spring Boot starter). Every
 * record applies its defaults and checks its values in its constructor; a mistake is one {@link ConfigError} line.
 * Each setting's description is on its component ({@link JsonPropertyDescription}): {@link ConfigurationReference}
 * renders them, with the defaults the constructors apply, into {@code docs/configuration-reference.md}. See
 * {@code config/} in the repository for documented examples.
 */
public record FerryConfig(
    @JsonPropertyDescription("Ferry's own MongoDB: leases, checkpoints, parked events, read models.")
    Mongo mongodb,
    @JsonPropertyDescription("What the relay reads: MongoDB collections, each of one `kind`. One relay reads every "
        + "source through one change stream of the narrowest scope that covers them (the collection's if there is one "
        + "source, the database's if they share one, the cluster's otherwise), filtered by namespace, with one "
        + "checkpoint; changes of collections no source names are ignored.")
    List<SourceConfig> sources,
    @JsonPropertyDescription("Where events go: Kafka, or NATS JetStream (with a `nats` section).")
    Transport transport,
    @JsonPropertyDescription("The Kafka transport; may be left out when the transport is `nats`.")
    Kafka kafka,
    @JsonPropertyDescription("The NATS JetStream transport: one stream, subjects `<stream>.<type>.<partition>`. Given "
        + "only with `transport: nats`; refused otherwise.")
    Nats nats,
    @JsonPropertyDescription("The relay (`ferry relay`): one leader at a time reads the sources and publishes every "
        + "change.")
    Relay relay,
    @JsonPropertyDescription("The generic projection of `ferry project`: `*Created`/`*Registered` set the state, "
        + "`*Deleted`/`*Removed`/`*Discharged` remove the document, every other event type merges its payload.")
    Projector projector,
    @JsonPropertyDescription("The replicas `ferry replicate` keeps, each of one `kind`: each target is a consumer "
        + "group of its own (its name), so one target's outage never stalls another.")
    List<TargetConfig> targets,
    @JsonPropertyDescription("The admin HTTP server of every process: health, metrics, status, parked events.")
    Admin admin,
    @JsonPropertyDescription("How long `relay`, `project` and `replicate` wait at start for MongoDB and the transport "
        + "to answer (not ready meanwhile) before giving up with exit status 3.")
    String startupTimeout) {

    public FerryConfig {
        startupTimeout = SettingValues.duration("startupTimeout", startupTimeout, "60s");
        mongodb = section("mongodb", mongodb, () -> new Mongo(null, null));
        transport = transport == null ? Transport.KAFKA : transport;
        if (transport == Transport.KAFKA || kafka != null) {
            kafka = section("kafka", kafka, () -> new Kafka(null, null, null, null, null, null, null, null, null, null));
        }
        if (transport == Transport.NATS) {
            nats = section("nats", nats, () -> new Nats(null, null, null, null, null, null, null, null, null, null));
        } else if (nats != null) {
            throw SettingError.invalid("nats", "given, but the transport is kafka; set transport: nats to use it");
        }
        relay = section("relay", relay, () -> new Relay(null, null, null, null, null));
        projector = section("projector", projector, () -> new Projector(null, null, null, null, null));
        admin = section("admin", admin, () -> new Admin(null, null, null, null));
        targets = targets == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(targets));
        TopicNaming naming = new TopicNaming(kafka == null ? "" : kafka.topicPrefix());
        sources = SourceRules.resolve(sources, mongodb.database(), naming);
        CrossSectionRules.check(sources, transport, projector, targets, naming);
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

    /** Ferry's own MongoDB. */
    public record Mongo(
        @JsonPropertyDescription("Connection string, `mongodb://…` or `mongodb+srv://…` (Atlas); a replica set, which "
            + "change streams need.")
        String uri,
        @JsonPropertyDescription("Ferry's own database: leases (`ferry_leases`), checkpoints, gaps (`ferry_gaps`), "
            + "parked events (`ferry_parked*`) and read models; also the default database of every source.")
        String database) {

        public Mongo {
            uri = SettingValues.required("uri", uri, "a MongoDB connection string (mongodb:// or mongodb+srv://)",
                value -> value.startsWith("mongodb://") || value.startsWith("mongodb+srv://"));
            database = SettingValues.text(database, "ferry");
        }
    }

    /** The Kafka transport; {@link #properties} never holds one of {@link #OWNED_CLIENT_PROPERTIES}. */
    public record Kafka(
        @JsonPropertyDescription("`host:port,…`")
        String bootstrapServers,
        @JsonPropertyDescription("Topic = prefix + aggregate type (or entity).")
        String topicPrefix,
        @JsonPropertyDescription("Partitions of the topics Ferry creates (a topic that exists is left as it is).")
        @WholeNumber(min = 1, max = MAX_PARTITIONS) Integer partitions,
        @JsonPropertyDescription("Replicas of the topics Ferry creates.")
        @WholeNumber(min = 1, max = MAX_REPLICATION_FACTOR) Integer replicationFactor,
        @JsonPropertyDescription("Where the documents the relay refuses go, with the reason: malformed or unmappable "
            + "event-store documents, oversized changes, colliding keys. Default: `topicPrefix` + `dead-letter`.")
        String deadLetterTopic,
        @JsonPropertyDescription("Use the idempotent producer (falls back with a log line where the broker refuses "
            + "it).")
        Boolean idempotence,
        @JsonPropertyDescription("Producer compression: `none`, `gzip`, `snappy`, `lz4` or `zstd` (Azure Event Hubs "
            + "accepts only `none` and `gzip`).")
        String compression,
        @JsonPropertyDescription("Producer batching delay in milliseconds: a producer with requests in flight batches "
            + "what arrives meanwhile anyway; lingering cost 2–3 ms of median latency in the benchmark and gained no "
            + "measurable catch-up throughput.")
        @WholeNumber(min = 0, max = MAX_LINGER_MS) Integer lingerMs,
        @JsonPropertyDescription("Any other Kafka client setting (SASL_SSL for Event Hubs, …). Settings Ferry's "
            + "guarantees rest on or that have a setting of their own (`acks`, `enable.idempotence`, "
            + "`compression.type`, `isolation.level`, `group.id`, …) are refused, not silently overridden.")
        @KeyName("setting") @JsonDeserialize(contentAs = String.class) Map<String, Object> properties,
        @JsonPropertyDescription("Exactly-once publishing (off by default): the relay writes in Kafka transactions, "
            + "its position committed with the records (topic `topicPrefix` + `relay-positions`; every instance of a "
            + "relay shares the `transactional.id` `topicPrefix` + `relay-<relay name>`), so a consumer reading "
            + "`read_committed` "
            + "sees no duplicates after a failover or a retry. Records become visible at each commit (every 100 ms), "
            + "which adds to latency. Needs `idempotence`; Azure Event Hubs has no transactions.")
        Boolean exactlyOnce) {

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
            "linger.ms", "batch.size", "compression.type", "transactional.id", "transaction.timeout.ms",
            "key.serializer", "value.serializer",
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
            exactlyOnce = SettingValues.flag(exactlyOnce, false);
            if (exactlyOnce && !idempotence) {
                throw SettingError.invalid("exactlyOnce", "needs idempotence: true (Kafka's transactions are built on "
                    + "the idempotent producer)");
            }
            if (exactlyOnce && bootstrapServers.contains(".servicebus.windows.net")) {
                throw SettingError.invalid("exactlyOnce", "Azure Event Hubs (" + bootstrapServers + ") has no Kafka "
                    + "transactions; leave it off there (consumers' version checks absorb duplicates)");
            }
        }

        /** The exactly-once mode's positions topic. */
        public String positionsTopic() {
            return topicPrefix + "relay-positions";
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

    /** The NATS JetStream transport: one stream, subjects {@code <stream>.<type>.<partition>}. */
    public record Nats(
        @JsonPropertyDescription("`nats://host:port,…` (or `tls://host:port`), comma-separated.")
        String servers,
        @JsonPropertyDescription("A `.creds` file, if the servers need one; empty: none.")
        String credentialsFile,
        @JsonPropertyDescription("Connect with TLS.")
        Boolean tls,
        @JsonPropertyDescription("The stream's name and the subjects' first token: A-Z a-z 0-9 _ - only. Every "
            + "aggregate type and entity must be one subject token too (no `.`, `*` or `>`).")
        String stream,
        @JsonPropertyDescription("Partitions per aggregate type, recorded with the stream (a different count is "
            + "refused).")
        @WholeNumber(min = 1, max = Kafka.MAX_PARTITIONS) Integer partitions,
        @JsonPropertyDescription("Stream replicas.")
        @WholeNumber(min = 1, max = 5) Integer replicas,
        @JsonPropertyDescription("How long the stream keeps messages (JetStream has no per-key compaction: entity "
            + "changes too).")
        String maxAge,
        @JsonPropertyDescription("How long the stream drops a re-published event id (`Nats-Msg-Id`): dedupe holds only "
            + "while failover time plus checkpoint lag stays under it; beyond it the re-publication is stored again "
            + "and the projectors' version check skips it.")
        String dedupeWindow,
        @JsonPropertyDescription("Messages delivered, not yet acknowledged, per partition's consumer.")
        @WholeNumber(min = 1, max = 1_000_000) Integer maxAckPending,
        @JsonPropertyDescription("The consumers' redelivery timer; order never depends on it (redeliveries of "
            + "messages the engine already holds are dropped).")
        String ackWait) {

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
    }

    /** The relay: its name, where it starts, what it does when history is lost, and its lease. */
    public record Relay(
        @JsonPropertyDescription("The relay's name: its lease and checkpoint are keyed by it.")
        String name,
        @JsonPropertyDescription("Where a relay with no checkpoint yet starts: `now`, `earliest` (copy every source, "
            + "then stream: the same copy as `initialLoad: copy`, for every source) or an ISO-8601 instant such as "
            + "`2026-01-31T00:00:00Z` (if the oplog no longer reaches back that far, `historyLost` applies).")
        String start,
        @JsonPropertyDescription("What the relay does when the oplog no longer holds where it must resume: `fail` "
            + "(stop, saying what happened and the ways on), `restart-from-now` (the gap is recorded in `ferry_gaps` "
            + "and shown by `ferry status`) or `recopy` (copy every source again, then stream; everything is "
            + "re-published).")
        HistoryLostPolicy historyLost,
        @JsonPropertyDescription("How long a leader's lease lasts unrenewed, at least `100ms`: failover takes about this "
            + "long, and a leader whose renewals MongoDB does not answer within it steps down; raise it if MongoDB may "
            + "take longer to answer (a distant primary).")
        String leaseTtl,
        @JsonPropertyDescription("How often, at most, a relay with nothing to publish writes its checkpoint: its own "
            + "lease and checkpoint writes move the change stream's position even then. After records were published "
            + "it checkpoints every 100 ms; a graceful stop always writes the last one. Keep it well inside the oplog "
            + "window; a longer one costs nothing but a few more changes read again after a failover.")
        String idleCheckpointInterval) {

        public Relay {
            leaseTtl = SettingValues.duration("leaseTtl", leaseTtl, "1s");
            idleCheckpointInterval = SettingValues.duration("idleCheckpointInterval", idleCheckpointInterval, "5s");
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

        public java.time.Duration idleCheckpointIntervalDuration() {
            return SettingValues.toDuration(idleCheckpointInterval);
        }

        /** The relay's settings: every way of running a relay (the CLI, the Spring Boot starter) reads them here. */
        public dev.ferry.core.relay.RelaySettings settings() {
            dev.ferry.core.relay.spi.StartPosition position = switch (start) {
                case "now" -> new dev.ferry.core.relay.spi.StartPosition.Now();
                // copy every source, then stream
                case "earliest" -> new dev.ferry.core.relay.spi.StartPosition.Earliest();
                default -> new dev.ferry.core.relay.spi.StartPosition.AtTime(java.time.Instant.parse(start));
            };
            return dev.ferry.core.relay.RelaySettings.defaults(name).withInitialPosition(position)
                .withHistoryLostPolicy(historyLost)
                .withLeaseTiming(dev.ferry.core.lease.LeaseTiming.withTtl(leaseTtlDuration()))
                .withIdleCheckpointInterval(idleCheckpointIntervalDuration());
        }
    }

    /** {@code ferry project}: the generic projection. */
    public record Projector(
        @JsonPropertyDescription("The read-model collection and consumer group of `ferry project`.")
        String projection,
        @JsonPropertyDescription("The aggregate types (topics) it reads; not entities (their topics carry entity "
            + "changes, not events). When every source lists what it claims, only claimed types.")
        List<String> aggregateTypes,
        @JsonPropertyDescription("Aggregates processed in parallel per instance.")
        @WholeNumber(min = 1, max = MAX_LANES) Integer lanes,
        @JsonPropertyDescription("Also record every applied version in the read model (`_applyLog`), to verify that "
            + "nothing was applied twice; grows with history.")
        Boolean applyLog,
        @JsonPropertyDescription("If set, every event is also POSTed there (JSON, `Idempotency-Key` header) through the "
            + "`notify` circuit breaker before its read-model write; empty: no notification.")
        String notifyUrl) {

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

    /** The admin HTTP server of a process. */
    public record Admin(
        @JsonPropertyDescription("The address the admin HTTP server binds to.")
        String bind,
        @JsonPropertyDescription("Its port.")
        @WholeNumber(min = 0, max = MAX_PORT) Integer port,
        @JsonPropertyDescription("The bearer token (`Authorization: Bearer <token>`) that endpoints changing anything "
            + "require; empty: they are refused.")
        String token,
        @JsonPropertyDescription("How long work may wait without any progress before `/health/ready` answers 503 and "
            + "the `stalled` gauge is 1: a relay's changes unacknowledged, or a projector's or replicator's fetched "
            + "records with none finished in a partition.")
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
