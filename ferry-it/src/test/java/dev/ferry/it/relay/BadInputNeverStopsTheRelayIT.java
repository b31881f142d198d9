package dev.ferry.it.relay;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.core.ConditionTimeoutException;
import org.bson.BsonDocument;
import org.bson.BsonValue;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.changestream.ChangeStreamDocument;
import com.mongodb.client.result.DeleteResult;
import com.mongodb.client.result.UpdateResult;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.VersionRule;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.RelayStatus;
import dev.ferry.core.wire.FerryHeaders;
import dev.ferry.embedded.mongo.MongoUnderTest;
import dev.ferry.engine.wire.EventJsonDecoder;
import dev.ferry.it.support.EntityTopic;
import dev.ferry.it.support.FuzzedWrites;
import dev.ferry.it.support.FuzzedWrites.Source;
import dev.ferry.it.support.FuzzedWrites.Write;
import dev.ferry.it.support.Pipeline;
import dev.ferry.it.support.PipelineFixture;
import dev.ferry.it.support.SourceContracts;
import dev.ferry.it.support.TopicRecords;
import dev.ferry.kafka.publish.TopicProvisioner;
import dev.ferry.mongodb.changestream.ChangeStreamTail;
import dev.ferry.mongodb.changestream.DocumentReaders;
import dev.ferry.mongodb.changestream.MongoChangeSource;
import dev.ferry.mongodb.changestream.WatchedCollection;
import dev.ferry.mongodb.entity.EntityChanges;
import dev.ferry.mongodb.entity.EntitySource;
import dev.ferry.mongodb.mapping.EventMapping;

/**
 * Issue 27's fuzz: bad input never stops the relay. With the raw driver, one writer stores a random mix
 * ({@link FuzzedWrites}, jqwik's arbitraries under one logged seed) of valid commits, mapped events (a streamId store
 * and a constant-type store whose payload is the rest of the document) and entity changes, and of documents broken in
 * random ways; the leader relay is killed once midway. The test's own oracle ({@link SourceContracts}: the commit
 * contract's schema, the mapping rules of docs/concepts.md, the transport's limits — never Ferry's decoders) judges what was
 * actually stored, and then:
 * <ul>
 * <li>every valid document's events are on their topics, per key in write order, nothing lost, nothing reordered
 * (re-publications after the kill allowed, bounded); every entity change of every id, in order, tombstones after
 * deletes; nothing else is published;</li>
 * <li>every invalid document (and every entity change too large for a record) is dead-lettered, with a reason,
 * at most re-sent on the failover, never looped; nothing valid is dead-lettered;</li>
 * <li>the checkpoint passed each: a relay started afterwards from it re-reads nothing;</li>
 * <li>no restart caused by a document (the restarts of {@code RECORD_REFUSED} and {@code UNEXPECTED} are 0 on every
 * instance; the environment's are printed), and the instances' status counts agree with the topics.</li>
 * </ul>
 * It prints how many documents of each category were stored and fails on an empty one: a server that refuses a shape
 * must not silently shrink the test. Small by default (CI); larger with {@code -Dferry.fuzz.documents=5000
 * -Dferry.fuzz.tries=5}; a failure is replayed with {@code -Dferry.fuzz.seed=<the seed printed>}.
 */
@Timeout(1800)
class BadInputNeverStopsTheRelayIT extends PipelineFixture {

    private static final int DOCUMENTS = Integer.getInteger("ferry.fuzz.documents", 300);
    private static final int TRIES = Integer.getInteger("ferry.fuzz.tries", 1);
    private static final Long SEED = Long.getLong("ferry.fuzz.seed");

    private static final String COMMITS = Pipeline.EVENTS;
    private static final String STREAMS = "patient_events";
    private static final String STAFF = "staff_events";
    private static final String PEOPLE = "people";
    /** The collections the test writes (the database also holds the relays' leases). */
    private static final Set<String> WRITTEN = Set.of(COMMITS, STREAMS, STAFF, PEOPLE);
    private static final EventMapping STREAM_MAPPING = new EventMapping(
        EventMapping.AggregateType.Derived.bySeparator("streamId", "-"), null, "revision", 0, VersionRule.CONTIGUOUS,
        "type", null, "createdAt", "data", Map.of("correlationId", "meta.correlationId"));
    private static final EventMapping STAFF_MAPPING = new EventMapping(
        new EventMapping.AggregateType.Constant(FuzzedWrites.STAFF_TYPE), "practitionerId", "v", 1,
        VersionRule.CONTIGUOUS, "kind", null, null, null, Map.of());
    /** Kafka's default max.request.size, which the relay's producer keeps. */
    private static final long MAX_REQUEST_BYTES = 1_048_576;
    private static final JsonWriterSettings CANONICAL = JsonWriterSettings.builder().outputMode(JsonMode.EXTENDED).build();
    private static final Duration DELIVERY = Duration.ofSeconds(Math.max(90, DOCUMENTS / 20));

    @Test
    void everyValidChangeIsPublishedInOrderAndEveryInvalidDocumentDeadLetteredOnceThroughALeaderKill()
        throws Exception {
        long seed = SEED != null ? SEED : new SecureRandom().nextLong();
        for (int t = 0; t < TRIES; t++) {
            long trySeed = seed + t;
            System.out.printf("BadInputNeverStopsTheRelayIT: try %d of %d, %d documents, seed %d (replay: "
                + "-Dferry.fuzz.seed=%d -Dferry.fuzz.documents=%d)%n", t + 1, TRIES, DOCUMENTS, trySeed, trySeed,
                DOCUMENTS);
            try {
                if (t == 0) {
                    run(pipeline, mongo, trySeed);
                } else {
                    try (MongoUnderTest another = MongoUnderTest.start("ferry_it"); Pipeline next = new Pipeline(another,
                        kafka)) {
                        run(next, another, trySeed);
                    }
                }
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("seed " + trySeed + " (replay: -Dferry.fuzz.seed=" + trySeed
                    + " -Dferry.fuzz.documents=" + DOCUMENTS + "): " + e.getMessage(), e);
            }
        }
    }

    private void run(Pipeline pipeline, MongoUnderTest mongo, long seed) throws Exception {
        long started = System.nanoTime();
        MongoDatabase database = pipeline.database();
        Map<Source, MongoCollection<BsonDocument>> collections = Map.of(
            Source.COMMITS, database.getCollection(COMMITS, BsonDocument.class),
            Source.STREAMS, database.getCollection(STREAMS, BsonDocument.class),
            Source.STAFF, database.getCollection(STAFF, BsonDocument.class),
            Source.ENTITIES, database.getCollection(PEOPLE, BsonDocument.class));
        collections.get(Source.STREAMS).createIndex(Indexes.ascending("streamId", "revision"),
            new IndexOptions().unique(true));
        // The valid documents' topics exist before anything is relayed, as an operator may create them: the leader is
        // busy relaying when it is killed, not creating topics; and Kafka refuses names that differ from theirs only in
        // '.' against '_'.
        Set<String> preCreated = FuzzedWrites.EVENT_TYPES.stream().map(type -> pipeline.topicPrefix() + type)
            .collect(Collectors.toSet());
        try (TopicProvisioner topics = new TopicProvisioner(pipeline.kafkaSettings())) {
            preCreated.forEach(topics::ensure);
            topics.ensureCompacted(pipeline.topicPrefix() + FuzzedWrites.ENTITY);
        }
        SourceContracts oracle = new SourceContracts(pipeline.topicPrefix(), pipeline.deadLetterTopic(),
            MAX_REQUEST_BYTES, EntitySource.DEFAULT_MAX_RECORD_BYTES, preCreated);
        List<Write> plan = FuzzedWrites.plan(seed, DOCUMENTS, !mongo.isEmbedded());

        try (ChangeWatcher watcher = new ChangeWatcher(database)) {
            MongoChangeSource source = source(pipeline);
            List<ChangeStreamRelay> relays = new ArrayList<>(List.of(pipeline.startRelay("r1", source),
                pipeline.startRelay("r2", source)));
            RelayFailoverIT.awaitLeader(relays);

            // One writer, so that each key's order is the write order; the leader is killed midway, once half is written
            // and it is relaying, while the writer goes on.
            Written written = new Written();
            CompletableFuture<Void> writing = CompletableFuture.runAsync(() ->
                plan.forEach(write -> execute(write, collections, written)));
            // (The lease may have moved under load since the first leader was elected: the one leading now is killed.)
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5)).until(() -> (writing.isDone()
                || written.count() >= plan.size() / 2) && relays.stream().anyMatch(r ->
                r.status().role() == RelayStatus.Role.LEADER && r.status().published() > 0));
            ChangeStreamRelay leader = RelayFailoverIT.awaitLeader(relays);
            leader.kill();
            int writtenAtKill = written.count();
            writing.get(120, TimeUnit.SECONDS);
            ChangeStreamRelay successor = RelayFailoverIT.awaitLeader(relays.stream().filter(r -> r != leader).toList());
            long writtenAt = System.nanoTime();
            System.out.printf("BadInputNeverStopsTheRelayIT: leader %s killed after %d of %d writes, having published %d "
                + "records and dead-lettered %d%n", leader.instanceId(), writtenAtKill, plan.size(),
                leader.status().published(), leader.status().deadLettered());

            Judged judged = judge(plan, written, collections, oracle);
            judged.createdTopics.addAll(preCreated);
            printCategories(judged);
            assertThat(judged.disagreements).as("documents the generator meant otherwise than the oracle judges "
                + "them (a generator bug)").isEmpty();
            assertThat(judged.emptyCategories()).as("categories of which no document was stored (a server that "
                + "refuses a shape must not silently shrink the test)").isEmpty();

            try {
                // Until everything expected arrived, or something arrived that never should (no use waiting then).
                await().atMost(DELIVERY).pollInterval(Duration.ofMillis(500)).until(() -> {
                    Outcome now = new Outcome(pipeline, judged, watcher);
                    return watcher.seen() >= written.changes && now.complete() || now.definitelyWrong();
                });
            } catch (ConditionTimeoutException e) {
                printStatuses(relays);
                new Outcome(pipeline, judged, watcher).check(Long.MAX_VALUE); // says what is missing
                throw e;
            }
            Outcome outcome = new Outcome(pipeline, judged, watcher);
            if (!outcome.complete()) {
                printStatuses(relays);
                System.out.println("BadInputNeverStopsTheRelayIT: stopped waiting early, something arrived that never "
                    + "should; what had not arrived yet is listed as lost too");
            }
            long deliveredAt = System.nanoTime();
            // Each change at most re-sent once on the failover (and once more per restart of the environment's).
            long restartsBound = relays.stream().mapToLong(r -> r.status().restartCount()).sum();
            outcome.check(2 + restartsBound);

            // The checkpoint passed every document: a relay started from it re-reads none of them.
            successor.close();
            ChangeStreamRelay last = pipeline.startRelay("r3", source);
            relays.add(last);
            RelayFailoverIT.awaitLeader(List.of(last));
            long deadLettersBefore = outcome.deadLetters.size();
            String sentinel = "sentinel-" + seed;
            collections.get(Source.COMMITS).insertOne(BsonDocument.parse("{aggregateType: 'order', aggregateId: '"
                + sentinel + "', firstVersion: 1, lastVersion: 1, committedAt: {$date: '2026-12-01T10:00:00Z'}, "
                + "events: [{eventId: '" + sentinel + "', version: 1, eventType: 'Placed', timestamp: {$date: "
                + "'2026-12-01T10:00:00Z'}, payload: {}}]}"));
            await().atMost(Duration.ofSeconds(60)).until(() -> last.status().published() >= 1);
            Outcome after = new Outcome(pipeline, judged, watcher);
            assertThat(after.records.stream().filter(r -> "r3".equals(r.instance)).map(r -> r.event.eventId()))
                .as("what the relay started from the final checkpoint published").containsExactly(sentinel);
            assertThat(after.deadLetters).as("dead letters after the restart from the checkpoint")
                .hasSize((int) deadLettersBefore);
            assertThat(last.status().deadLettered()).isZero();

            // No restart caused by a document; the environment's are printed.
            printStatuses(relays);
            for (ChangeStreamRelay relay : relays) {
                RelayStatus status = relay.status();
                assertThat(status.restarts().get(RelayStatus.Fault.RECORD_REFUSED)).as("%s: restarts because the "
                    + "broker refused a record", relay.instanceId()).isZero();
                assertThat(status.restarts().get(RelayStatus.Fault.UNEXPECTED)).as("%s: unexpected restarts",
                    relay.instanceId()).isZero();
                assertThat(status.failure()).as("%s failed", relay.instanceId()).isNull();
            }
            // The status counts agree with the topics.
            long deadLettered = relays.stream().mapToLong(r -> r.status().deadLettered()).sum();
            long oversized = relays.stream().mapToLong(r -> r.status().oversized()).sum();
            long published = relays.stream().mapToLong(r -> r.status().published()).sum();
            // Each invalid document counted at least once: by the instance whose send of it was acknowledged. (Not
            // compared with the dead letters on the topic: a killed leader's may have landed unacknowledged.)
            assertThat(deadLettered).as("dead letters counted by the instances")
                .isGreaterThanOrEqualTo(judged.invalid.size());
            assertThat(oversized).as("oversized changes counted by the instances").isGreaterThanOrEqualTo(
                judged.invalid.values().stream().filter(i -> i.oversized && i.violations.size() == 1).count());
            assertThat(published).as("records the instances had acknowledged, at most those on the topics")
                .isLessThanOrEqualTo(after.records.size() + after.entityRecords + 0L);
            System.out.printf("BadInputNeverStopsTheRelayIT: seed %d: %d writes (%d changes) in %d ms, all delivered "
                + "%d ms after the last write; %d events published (%d records with re-publications), %d entity "
                + "records, %d invalid documents dead-lettered in %d dead letters; whole run %d ms%n", seed, plan.size(),
                written.changes, (writtenAt - started) / 1_000_000, (deliveredAt - writtenAt) / 1_000_000,
                judged.events.size(), outcome.records.size(), outcome.entityRecords, judged.invalid.size(),
                outcome.deadLetters.size(), (System.nanoTime() - started) / 1_000_000);
        }
    }

    private static void printStatuses(List<ChangeStreamRelay> relays) {
        for (ChangeStreamRelay relay : relays) {
            RelayStatus status = relay.status();
            System.out.printf("BadInputNeverStopsTheRelayIT: %s: %s, published %d, dead-lettered %d (oversized %d), "
                + "terms %d, restarts %s%s%n", relay.instanceId(), status.role(), status.published(),
                status.deadLettered(), status.oversized(), status.terms(), new TreeMap<>(status.restarts()),
                status.lastFailure() == null ? "" : ", last failure " + abbreviate(status.lastFailure().toString(), 400));
        }
    }

    private static MongoChangeSource source(Pipeline pipeline) {
        String database = pipeline.database().getName();
        EntitySource people = new EntitySource(PEOPLE, FuzzedWrites.ENTITY, database, PEOPLE,
            EntitySource.DEFAULT_MAX_RECORD_BYTES, false);
        return MongoChangeSource.of(pipeline.client(), List.of(
            new WatchedCollection(database, COMMITS, DocumentReaders.commits()),
            new WatchedCollection(database, STREAMS, DocumentReaders.mappedEvents(STREAM_MAPPING,
                pipeline.kafkaSettings().topicNaming())),
            new WatchedCollection(database, STAFF, DocumentReaders.mappedEvents(STAFF_MAPPING,
                pipeline.kafkaSettings().topicNaming())),
            new WatchedCollection(PEOPLE, database, PEOPLE, new EntityChanges(people,
                pipeline.database().getCollection(PEOPLE, BsonDocument.class)))), ChangeStreamTail.Settings.DEFAULT);
    }

    // ---------------------------------------------------------------- writing

    /**
     * What the writes did: which were stored (or refused, and why), and each entity key's operations. Written by the
     * writer's thread, read by the test's after it ended (and its count while it runs).
     */
    private static final class Written {
        final Set<Integer> stored = ConcurrentHashMap.newKeySet();
        final Map<Integer, String> refused = new ConcurrentHashMap<>();
        final Map<String, List<String>> entityOperations = new ConcurrentHashMap<>();
        volatile int changes;
        private final java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();

        int count() {
            return done.get();
        }
    }

    private static void execute(Write write, Map<Source, MongoCollection<BsonDocument>> collections, Written written) {
        try {
            write(write, collections, written);
        } finally {
            written.done.incrementAndGet();
        }
    }

    private static void write(Write write, Map<Source, MongoCollection<BsonDocument>> collections, Written written) {
        MongoCollection<BsonDocument> collection = collections.get(write.source());
        boolean changed;
        try {
            changed = switch (write.op()) {
                case INSERT -> {
                    collection.insertOne(write.document());
                    yield true;
                }
                case SET -> {
                    UpdateResult result = collection.updateOne(Filters.eq("_id", write.id()),
                        new BsonDocument("$set", write.document()));
                    yield result.getModifiedCount() == 1;
                }
                case REPLACE -> collection.replaceOne(Filters.eq("_id", write.id()), write.document())
                    .getModifiedCount() == 1;
                case DELETE -> {
                    DeleteResult result = collection.deleteOne(Filters.eq("_id", write.id()));
                    yield result.getDeletedCount() == 1;
                }
            };
        } catch (RuntimeException e) {
            written.refused.put(write.index(), e.getClass().getSimpleName() + ": " + abbreviate(e.getMessage(), 160));
            return;
        }
        if (!changed) {
            written.refused.put(write.index(), "changed nothing");
            return;
        }
        written.stored.add(write.index());
        written.changes++; // one writer thread
        if (write.source() == Source.ENTITIES) {
            String operation = switch (write.op()) {
                case INSERT -> "create";
                case SET, REPLACE -> "update";
                case DELETE -> "delete";
            };
            written.entityOperations.computeIfAbsent(SourceContracts.entityKey(write.id()), k -> new ArrayList<>())
                .add(operation);
        }
    }

    // ---------------------------------------------------------------- judging what was stored

    /** An invalid document or change: what the oracle found wrong, for the report. */
    private record Invalid(String category, List<String> violations, boolean oversized, String document) {
    }

    /** The oracle's judgement of everything stored. */
    private static final class Judged {
        /** Every event valid documents publish, by event id; and each topic and key's event ids in write order. */
        final Map<String, SourceContracts.Expected> events = new HashMap<>();
        final Map<String, List<String>> eventOrder = new LinkedHashMap<>();
        /** Invalid inserts and oversized entity changes, by {@code collection/insert/<_id as canonical JSON>}. */
        final Map<String, Invalid> invalid = new LinkedHashMap<>();
        /** Each entity key's operations, as a consumer must see them (the oversized create left out). */
        final Map<String, List<String>> entityOperations = new LinkedHashMap<>();
        final Map<String, int[]> categories = new LinkedHashMap<>(); // written, stored, valid, invalid
        final Map<String, Set<String>> refusals = new LinkedHashMap<>();
        final List<String> disagreements = new ArrayList<>();
        final Map<String, String> sampleReason = new ConcurrentHashMap<>();
        /** The topics the test created before writing. */
        final Set<String> createdTopics = new HashSet<>();

        List<String> emptyCategories() {
            return categories.entrySet().stream().filter(c -> c.getValue()[1] == 0).map(Map.Entry::getKey).toList();
        }
    }

    private static Judged judge(List<Write> plan, Written written, Map<Source, MongoCollection<BsonDocument>> collections,
                                SourceContracts oracle) {
        Judged judged = new Judged();
        FuzzedWrites.categories().forEach(name -> judged.categories.put(name, new int[4]));
        Map<String, List<String>> entityOperations = new LinkedHashMap<>();
        written.entityOperations.forEach((key, operations) -> entityOperations.put(key, new ArrayList<>(operations)));
        for (Write write : plan) {
            int[] counts = judged.categories.get(write.category());
            counts[0]++;
            if (!written.stored.contains(write.index())) {
                Set<String> reasons = judged.refusals.computeIfAbsent(write.category(), k -> new java.util.LinkedHashSet<>());
                if (reasons.size() < 3) {
                    reasons.add(written.refused.get(write.index()));
                }
                continue;
            }
            counts[1]++;
            if (write.op() != FuzzedWrites.Op.INSERT) {
                counts[write.meantValid() ? 2 : 3]++;
                continue;
            }
            // What was stored (an entity's insert as written: it may have changed since).
            BsonDocument stored = write.source() == Source.ENTITIES ? write.document()
                : collections.get(write.source()).find(Filters.eq("_id", write.id())).first();
            SourceContracts.Verdict verdict = switch (write.source()) {
                case COMMITS -> oracle.commit(stored);
                case STREAMS -> oracle.streamEvent(stored);
                case STAFF -> oracle.staffEvent(stored, FuzzedWrites.STAFF_TYPE);
                case ENTITIES -> oracle.entity(stored);
            };
            counts[verdict.valid() ? 2 : 3]++;
            // The _id as stored (a string with a lone surrogate is not stored as written).
            String identity = collections.get(write.source()).getNamespace().getCollectionName() + "/insert/"
                + canonical(stored.get("_id"));
            if (verdict.valid() != write.meantValid()) {
                judged.disagreements.add(write.category() + ": " + verdict.violations() + " in "
                    + abbreviate(stored.toJson(CANONICAL), 300));
            }
            if (verdict.valid()) {
                for (SourceContracts.Expected event : verdict.events()) {
                    judged.events.put(event.eventId(), event);
                    judged.eventOrder.computeIfAbsent(event.topic() + "\n" + event.key(), k -> new ArrayList<>())
                        .add(event.eventId());
                }
            } else {
                judged.invalid.put(identity, new Invalid(write.category(), verdict.violations(), verdict.oversized(),
                    abbreviate(stored.toJson(CANONICAL), 200)));
                if (write.source() == Source.ENTITIES) {
                    entityOperations.get(SourceContracts.entityKey(write.id())).remove(0); // its create
                }
            }
        }
        entityOperations.forEach((key, operations) -> {
            if (!operations.isEmpty()) {
                judged.entityOperations.put(key, operations);
            }
        });
        return judged;
    }

    private static void printCategories(Judged judged) {
        StringBuilder report = new StringBuilder("BadInputNeverStopsTheRelayIT: documents by category (written, "
            + "stored, valid and invalid as the oracle judges what was stored):\n");
        judged.categories.forEach((category, counts) -> {
            report.append(String.format("  %-90s %5d %5d %5d %5d", category, counts[0], counts[1], counts[2],
                counts[3]));
            if (judged.refusals.containsKey(category)) {
                report.append("  (refused ").append(counts[0] - counts[1]).append(", e.g. ")
                    .append(String.join("; ", judged.refusals.get(category))).append(')');
            }
            report.append('\n');
        });
        System.out.print(report);
    }

    // ---------------------------------------------------------------- what the topics hold

    /** One event record of a topic. */
    private record PublishedEvent(String topic, int partition, long offset, String key, Event event, String instance) {
    }

    /** The topics of a pipeline read once, and what they say about the expectations. */
    private static final class Outcome {
        private static final int MISSING_LISTED = 15;
        final List<PublishedEvent> records = new ArrayList<>();
        final List<String> undecodable = new ArrayList<>();
        final List<String> unexpectedTopics = new ArrayList<>();
        final List<ConsumerRecord<String, byte[]>> deadLetters;
        final EntityTopic entities;
        final int entityRecords;
        private final Judged judged;
        private final ChangeWatcher watcher;

        Outcome(Pipeline pipeline, Judged judged, ChangeWatcher watcher) {
            this.judged = judged;
            this.watcher = watcher;
            Map<String, List<ConsumerRecord<String, byte[]>>> topics = pipeline.topics()
                .readAllRaw(pipeline.topicPrefix());
            String entityTopic = pipeline.topicPrefix() + FuzzedWrites.ENTITY;
            Set<String> eventTopics = judged.events.values().stream().map(SourceContracts.Expected::topic)
                .collect(Collectors.toSet());
            EventJsonDecoder decoder = new EventJsonDecoder();
            topics.forEach((topic, raw) -> {
                if (topic.equals(entityTopic) || topic.equals(pipeline.deadLetterTopic())) {
                    return;
                }
                // A topic of no valid document's events: one the test created may exist, empty.
                if (!eventTopics.contains(topic) && !(judged.createdTopics.contains(topic) && raw.isEmpty())
                    && !topic.equals(pipeline.topicPrefix() + "order")) {
                    unexpectedTopics.add(topic + " (" + raw.size() + " records)");
                }
                for (ConsumerRecord<String, byte[]> record : raw) {
                    try {
                        records.add(new PublishedEvent(topic, record.partition(), record.offset(), record.key(),
                            decoder.decode(record.value()), TopicRecords.header(record, FerryHeaders.FERRY_INSTANCE)));
                    } catch (RuntimeException e) {
                        undecodable.add(topic + " " + record.key() + ": " + e);
                    }
                }
            });
            deadLetters = topics.getOrDefault(pipeline.deadLetterTopic(), List.of());
            entities = topics.containsKey(entityTopic) ? EntityTopic.of(topics.get(entityTopic)) : null;
            entityRecords = entities == null ? 0 : entities.records();
        }

        /** Whether everything expected has arrived (what arrived may still be wrong: {@link #check} says). */
        boolean complete() {
            Set<String> published = records.stream().map(r -> r.event.eventId()).collect(Collectors.toSet());
            if (!published.containsAll(judged.events.keySet())) {
                return false;
            }
            for (Map.Entry<String, List<String>> key : judged.entityOperations.entrySet()) {
                if (entities == null || entities.streamedOperations(key.getKey()).size() < key.getValue().size()) {
                    return false;
                }
            }
            Set<String> deadLettered = deadLettered().keySet();
            return deadLettered.containsAll(judged.invalid.keySet())
                && deadLettered.stream().noneMatch(identity -> identity.startsWith(ChangeWatcher.UNKNOWN));
        }

        /**
         * Whether something arrived that must never arrive: a valid document's dead letter, an unknown event. (A dead
         * letter of a change the test's own stream has not seen yet is not judged yet.)
         */
        boolean definitelyWrong() {
            return deadLettered().keySet().stream().anyMatch(identity -> !identity.startsWith(ChangeWatcher.UNKNOWN)
                && !judged.invalid.containsKey(identity))
                || records.stream().anyMatch(r -> !judged.events.containsKey(r.event.eventId()));
        }

        /** Each dead letter's document, by {@code collection/operation/<_id as canonical JSON>} (or what went wrong). */
        Map<String, List<String>> deadLettered() {
            Map<String, List<String>> byDocument = new LinkedHashMap<>();
            ObjectMapper json = new ObjectMapper();
            for (ConsumerRecord<String, byte[]> record : deadLetters) {
                String reason = TopicRecords.header(record, FerryHeaders.FERRY_REASON);
                String identity;
                try {
                    JsonNode value = json.readTree(new String(record.value(), UTF_8));
                    identity = watcher.identity(value.path("resumeToken").path("_data").asText());
                } catch (Exception e) {
                    identity = "(a dead letter that is not JSON: " + e.getMessage() + ")";
                }
                byDocument.computeIfAbsent(identity, k -> new ArrayList<>()).add(reason);
            }
            return byDocument;
        }

        void check(long duplicatesBound) {
            List<String> problems = new ArrayList<>();
            problems.addAll(undecodable.stream().map(u -> "a record no consumer can decode: " + u).toList());
            problems.addAll(unexpectedTopics.stream().map(t -> "a topic no valid document names: " + t).toList());
            // Events: known, as stored, once or re-published a bounded number of times, per key in write order.
            Map<String, Integer> copies = new HashMap<>();
            Map<String, List<String>> firstSeen = new LinkedHashMap<>();
            for (PublishedEvent record : records) {
                Event event = record.event;
                SourceContracts.Expected expected = judged.events.get(event.eventId());
                if (expected == null) {
                    problems.add("published, but no valid document's event: " + abbreviate(record.topic, 80) + " key "
                        + abbreviate(record.key, 80) + " " + abbreviate(event.toString(), 300));
                    continue;
                }
                if (!expected.topic().equals(record.topic) || !expected.key().equals(record.key)
                    || !expected.key().equals(event.aggregateId()) || expected.version() != event.version()
                    || !expected.eventType().equals(event.eventType())) {
                    problems.add("published otherwise than stored: " + abbreviate(expected.toString(), 300) + " as "
                        + abbreviate(record.topic, 80) + " key " + abbreviate(record.key, 80) + " "
                        + abbreviate(event.toString(), 300));
                }
                if (copies.merge(event.eventId(), 1, Integer::sum) == 1) {
                    firstSeen.computeIfAbsent(record.topic + "\n" + record.key, k -> new ArrayList<>())
                        .add(event.eventId());
                }
            }
            copies.forEach((eventId, count) -> {
                if (count > duplicatesBound) {
                    problems.add("event " + eventId + " published " + count + " times (a loop?)");
                }
            });
            // What is missing (only missing: what arrived was in order) is listed after what is wrong, and not all of it.
            List<String> missing = new ArrayList<>();
            judged.eventOrder.forEach((key, expected) -> {
                List<String> seen = firstSeen.getOrDefault(key, List.of());
                if (!seen.equals(expected)) {
                    List<String> lost = new ArrayList<>(expected);
                    lost.removeAll(seen);
                    boolean inOrder = expected.subList(0, Math.min(seen.size(), expected.size())).equals(seen);
                    (inOrder ? missing : problems).add("topic and key " + abbreviate(key.replace('\n', ' '), 120)
                        + ": published " + abbreviate(seen.toString(), 300) + ", expected "
                        + abbreviate(expected.toString(), 300) + (lost.isEmpty() ? " (order)"
                        : " (lost " + abbreviate(lost.toString(), 200) + ")"));
                }
            });
            // Entities: every change of every key, in order, each delete followed by its tombstone, nothing else.
            if (entities != null) {
                judged.entityOperations.forEach((key, operations) -> {
                    List<String> seen = entities.streamedOperations(key);
                    if (!seen.equals(operations)) {
                        boolean inOrder = seen.size() < operations.size()
                            && operations.subList(0, seen.size()).equals(seen);
                        (inOrder ? missing : problems).add("entity " + abbreviate(key, 80) + ": published " + seen
                            + ", expected " + operations);
                    }
                });
                Set<String> unexpectedKeys = new HashSet<>(entities.keys());
                unexpectedKeys.removeAll(judged.entityOperations.keySet());
                unexpectedKeys.forEach(key -> problems.add("entity " + abbreviate(key, 80) + " published, but none "
                    + "of its changes can be: " + entities.applied(key).size() + " records"));
                if (entities.orderViolations() > 0 || entities.misplacedTombstones() > 0) {
                    problems.add("entity topic: " + entities.orderViolations() + " versions out of order, "
                        + entities.misplacedTombstones() + " tombstones misplaced");
                }
            } else if (!judged.entityOperations.isEmpty()) {
                problems.add("no entity topic");
            }
            // Dead letters: exactly the invalid documents, each with a reason, at most re-sent on the failover.
            Map<String, List<String>> deadLettered = deadLettered();
            deadLettered.forEach((identity, reasons) -> {
                Invalid invalid = judged.invalid.get(identity);
                if (invalid == null) {
                    problems.add("dead-lettered, but valid or unknown: " + abbreviate(identity, 200) + " because "
                        + abbreviate(reasons.get(0), 300));
                    return;
                }
                judged.sampleReason.putIfAbsent(invalid.category(), abbreviate(reasons.get(0), 200));
                if (reasons.size() > duplicatesBound) {
                    problems.add(identity + " dead-lettered " + reasons.size() + " times (a loop?)");
                }
                if (reasons.stream().anyMatch(reason -> reason == null || reason.isBlank())) {
                    problems.add(identity + " dead-lettered without a reason");
                }
            });
            judged.invalid.forEach((identity, invalid) -> {
                if (!deadLettered.containsKey(identity)) {
                    missing.add("invalid, but not dead-lettered: " + invalid.category() + " " + invalid.violations()
                        + " " + invalid.document());
                }
            });
            StringBuilder reasons = new StringBuilder("BadInputNeverStopsTheRelayIT: a dead letter's reason per "
                + "category:\n");
            new TreeMap<>(judged.sampleReason).forEach((category, reason) -> reasons.append("  ").append(category)
                .append(": ").append(reason).append('\n'));
            System.out.print(reasons);
            problems.addAll(missing.subList(0, Math.min(missing.size(), MISSING_LISTED)));
            if (missing.size() > MISSING_LISTED) {
                problems.add("… and " + (missing.size() - MISSING_LISTED) + " more keys or documents with something "
                    + "missing");
            }
            assertThat(problems).as("what the topics hold against what was stored").isEmpty();
        }
    }

    // ---------------------------------------------------------------- the test's own change stream

    /**
     * The test's own change stream over the database, to know which document a dead letter's resume token is: each
     * change's token as {@code collection/operation/<_id as canonical JSON>}.
     */
    private static final class ChangeWatcher implements AutoCloseable {
        private final Map<String, String> byToken = new ConcurrentHashMap<>();
        private final MongoChangeStreamCursor<ChangeStreamDocument<BsonDocument>> cursor;
        private final Thread reader;
        private volatile boolean running = true;

        ChangeWatcher(MongoDatabase database) {
            cursor = database.watch(BsonDocument.class).cursor(); // opened now: every later write is seen
            reader = new Thread(this::read, "fuzz-change-watcher");
            reader.setDaemon(true);
            reader.start();
        }

        private void read() {
            while (running) {
                try {
                    ChangeStreamDocument<BsonDocument> change = cursor.tryNext();
                    if (change != null && change.getNamespace() != null && change.getDocumentKey() != null
                        && WRITTEN.contains(change.getNamespace().getCollectionName())) { // not the leases
                        byToken.put(change.getResumeToken().getString("_data").getValue(),
                            change.getNamespace().getCollectionName() + "/" + change.getOperationTypeString() + "/"
                                + canonical(change.getDocumentKey().get("_id")));
                    }
                } catch (RuntimeException e) {
                    if (running) {
                        throw e;
                    }
                }
            }
        }

        int seen() {
            return byToken.size();
        }

        /** The change a resume token is, or {@link #UNKNOWN} and the token if this stream has not seen it (yet). */
        String identity(String token) {
            return byToken.getOrDefault(token, UNKNOWN + token);
        }

        static final String UNKNOWN = "(a resume token no change of the test's collections had, yet) ";

        @Override
        public void close() {
            running = false;
            try {
                reader.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            cursor.close();
        }
    }

    private static String canonical(BsonValue id) {
        String wrapped = new BsonDocument("v", id).toJson(CANONICAL);
        return wrapped.substring("{\"v\": ".length(), wrapped.length() - 1);
    }

    /** {@code text} with runs of one character shortened ({@code [L×199]}), then cut to {@code length}. */
    private static String abbreviate(String text, int length) {
        if (text == null) {
            return "null";
        }
        String compact = RUNS.matcher(text).replaceAll(run -> java.util.regex.Matcher.quoteReplacement(
            "[" + run.group(1) + "×" + run.group().length() + "]"));
        return compact.length() <= length ? compact : compact.substring(0, length) + "…(" + text.length() + " chars)";
    }

    private static final java.util.regex.Pattern RUNS = java.util.regex.Pattern.compile("(.)\\1{11,}");
}
