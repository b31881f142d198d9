package dev.ferry.it.projector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.ferry.core.projection.Projection;
import dev.ferry.it.support.AppendLoad;
import dev.ferry.it.support.Pipeline;
import dev.ferry.it.support.PipelineFixture;
import dev.ferry.it.support.ReadModelCheck;
import dev.ferry.it.support.TestProjections;
import dev.ferry.kafka.projector.ProjectorRuntime;
import dev.ferry.engine.ProjectorSettings;
import dev.ferry.mongodb.readmodel.MongoReadModelWriter;

/**
 * Three projector instances in one consumer group build a read model equal to the fold of the event store, checked
 * against a change stream on the read-model collection (every write the test saw, not a log the writer keeps): no
 * event applied twice, none out of order — also when an instance's process is killed (SIGKILL) mid-batch, and when
 * already-applied events are delivered again.
 */
@Timeout(400)
class ProjectorExactnessIT extends PipelineFixture {

    /** Kills tried before the test fails for never having landed one mid-batch. */
    private static final int MAX_KILLS = 4;

    private final List<ProjectorProcess> victims = new ArrayList<>();

    @AfterEach
    void killVictims() {
        victims.forEach(ProjectorProcess::kill);
    }

    @BeforeEach
    void startRelay() {
        pipeline.startRelay("relay-1");
    }

    @Test
    void threeInstancesBuildTheExactFoldWithNoDuplicateOrReorderedApply() throws Exception {
        Projection projection = TestProjections.counter("counters_" + System.nanoTime());
        pipeline.watchReadModel(projection);
        List<ProjectorRuntime> projectors = List.of(
            pipeline.startProjector("p1", projection, ProjectorSettings.DEFAULT),
            pipeline.startProjector("p2", projection, ProjectorSettings.DEFAULT),
            pipeline.startProjector("p3", projection, ProjectorSettings.DEFAULT));

        long started = System.nanoTime();
        new AppendLoad(pipeline.store(), "patient", 1_000, 20_000, 4).runToEnd();
        ReadModelCheck check = awaitExact(projection, Duration.ofSeconds(180));
        System.out.printf("ProjectorExactnessIT: 20,000 events over 1,000 aggregates appended, relayed and projected by 3 "
            + "instances in %d ms; %s%n", (System.nanoTime() - started) / 1_000_000, check);

        assertThat(check.duplicatesApplied()).as("duplicate applies: %s", check.examples()).isZero();
        assertThat(check.orderViolations()).as("order violations: %s", check.examples()).isZero();
        assertThat(check.applies()).isEqualTo(20_000);
        assertThat(projectors).allSatisfy(p -> assertThat(p.status().applied()).isPositive());

        // Deliver everything again: reset the group to the beginning, all must be skipped as duplicates.
        projectors.forEach(ProjectorRuntime::close);
        rewindGroup(projection);
        ProjectorRuntime again = pipeline.startProjector("p4", projection, ProjectorSettings.DEFAULT);
        // Until it has been through every record again (applied or skipped): what it did is read from the change stream.
        await().atMost(Duration.ofSeconds(120))
            .until(() -> again.status().duplicates() + again.status().applied() >= 20_000 && again.status().lag() == 0);
        ReadModelCheck afterReplay = pipeline.checkReadModel(projection);
        System.out.println("ProjectorExactnessIT replay: " + again.status() + " " + afterReplay);
        // Not a write more: the change stream shows the same writes as before the replay.
        assertThat(afterReplay).isEqualTo(check);
        assertThat(again.status().applied()).isZero();
    }

    /**
     * The victim is a process of its own, killed with SIGKILL: nothing it queued lands afterwards. Each kill is
     * confirmed to have landed mid-batch from outside the projector — records of the victim's partitions at or past
     * the group's committed offsets whose events the read model already holds (applied, not acknowledged: they are
     * delivered again to the next owner, which must skip them) — or the victim is replaced and killed again.
     */
    @Test
    void aProjectorProcessKilledMidBatchLosesNothingAndAppliesNothingTwice(@TempDir Path logs) throws Exception {
        Projection projection = TestProjections.counter("counters_" + System.nanoTime());
        pipeline.watchReadModel(projection); // before anything writes the read model
        ProjectorProcess victim = startVictim(projection, 1, logs);
        pipeline.startProjector("p2", projection, ProjectorSettings.DEFAULT);
        pipeline.startProjector("p3", projection, ProjectorSettings.DEFAULT);
        List<CompletableFuture<Void>> loads = new ArrayList<>();

        KillEvidence landed = null;
        List<KillEvidence> kills = new ArrayList<>();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            for (int attempt = 1; attempt <= MAX_KILLS && landed == null; attempt++) {
                if (attempt > 1) {
                    victim = startVictim(projection, attempt, logs);
                }
                if (loads.isEmpty() || loads.get(loads.size() - 1).isDone()) {
                    // Appends run through every attempt: a kill after the last record is applied and acknowledged
                    // cannot land mid-batch. (A new load on the same aggregates reloads their versions on conflict.)
                    loads.add(new AppendLoad(pipeline.store(), "patient", 500, 12_000, 4).start());
                }
                Set<TopicPartition> owned = awaitWorking(admin, projection, victim);
                victim.kill();
                long killedAt = System.nanoTime();
                KillEvidence evidence = evidenceAfterKill(admin, projection, victim, owned);
                kills.add(evidence);
                System.out.printf("ProjectorExactnessIT kill %d: %s%n", attempt, evidence);
                if (evidence.landedMidBatch()) {
                    landed = evidence;
                    String dead = victim.clientId(projection);
                    // its partitions move to the survivors once the group notices (the session timeout)
                    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                        .until(() -> owners(admin, projection).keySet().containsAll(owned)
                            && !owners(admin, projection).containsValue(dead));
                    System.out.printf("ProjectorExactnessIT: partitions %s moved %d ms after the kill%n", owned,
                        (System.nanoTime() - killedAt) / 1_000_000);
                }
            }
        }
        assertThat(landed).as("none of %d kills landed mid-batch (records applied but not acknowledged): %s",
            MAX_KILLS, kills).isNotNull();

        CompletableFuture.allOf(loads.toArray(new CompletableFuture<?>[0])).get();
        ReadModelCheck check = awaitExact(projection, Duration.ofSeconds(180));
        System.out.printf("ProjectorExactnessIT kill: %s%n", check);
        assertThat(check.duplicatesApplied()).as("duplicate applies: %s", check.examples()).isZero();
        assertThat(check.orderViolations()).as("order violations: %s", check.examples()).isZero();
        assertThat(check.applies()).as("events applied").isEqualTo(12_000L * loads.size());
    }

    private ProjectorProcess startVictim(Projection projection, int attempt, Path logs) throws Exception {
        ProjectorProcess victim = ProjectorProcess.start(pipeline, mongo.connectionString(), mongo.databaseName(),
            projection, "victim-" + attempt, logs);
        victims.add(victim);
        return victim;
    }

    /**
     * The victim's partitions once it is working on them: it owns some (the group says) and has acknowledged progress
     * on each since it got them, so what it holds unacknowledged at the kill is its own work, not a handover's.
     */
    private Set<TopicPartition> awaitWorking(Admin admin, Projection projection, ProjectorProcess victim)
        throws Exception {
        String clientId = victim.clientId(projection);
        Set<TopicPartition> owned = new HashSet<>();
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() -> {
            owned.clear();
            owners(admin, projection).forEach((partition, owner) -> {
                if (owner.equals(clientId)) {
                    owned.add(partition);
                }
            });
            return !owned.isEmpty();
        });
        Map<TopicPartition, Long> atAssignment = committed(admin, projection, owned);
        // Each attempt starts with appends running (see the caller), so there is work to acknowledge.
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(20)).until(() -> {
            Map<TopicPartition, Long> now = committed(admin, projection, owned);
            return owned.stream().allMatch(p -> now.getOrDefault(p, -1L) > atAssignment.getOrDefault(p, -1L));
        });
        return owned;
    }

    /**
     * Read from outside right after the kill: the group's committed offsets of the victim's partitions, the read
     * model's versions, then the group again — still holding the dead member with those partitions, so nobody else
     * has committed or written them since the kill. Records of those partitions from the committed offsets on whose
     * events the read model holds were applied but not acknowledged.
     */
    private KillEvidence evidenceAfterKill(Admin admin, Projection projection, ProjectorProcess victim,
                                           Set<TopicPartition> owned) throws Exception {
        Map<TopicPartition, Long> committed = committed(admin, projection, owned);
        Map<String, Long> applied = new HashMap<>();
        for (Document document : pipeline.database().getCollection(projection.name()).find()) {
            applied.put(document.getString("_id"), ((Number) document.get(MongoReadModelWriter.VERSION)).longValue());
        }
        Map<TopicPartition, String> owners = owners(admin, projection);
        boolean unmoved = owned.stream().allMatch(p -> victim.clientId(projection).equals(owners.get(p)));
        long pending = 0;
        long appliedUnacknowledged = 0;
        for (ConsumerRecord<String, String> record : recordsFrom(committed)) {
            Document event = Document.parse(record.value());
            pending++;
            if (applied.getOrDefault(event.getString("aggregateId"), 0L) >= ((Number) event.get("version")).longValue()) {
                appliedUnacknowledged++;
            }
        }
        return new KillEvidence(victim.instanceId(), committed, pending, appliedUnacknowledged, unmoved);
    }

    /**
     * What a kill left: past the committed offsets, {@code pending} records, of which {@code appliedUnacknowledged}
     * already in the read model; {@code unmoved}: the partitions were still the dead member's after the read.
     */
    private record KillEvidence(String victim, Map<TopicPartition, Long> committed, long pending,
                                long appliedUnacknowledged, boolean unmoved) {
        boolean landedMidBatch() {
            return unmoved && appliedUnacknowledged > 0;
        }
    }

    /** Which member (client id) holds each partition of the projection's group now. */
    private static Map<TopicPartition, String> owners(Admin admin, Projection projection) throws Exception {
        String group = ProjectorRuntime.groupId(projection);
        Map<TopicPartition, String> owners = new HashMap<>();
        for (MemberDescription member : admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get()
            .members()) {
            member.assignment().topicPartitions().forEach(p -> owners.put(p, member.clientId()));
        }
        return owners;
    }

    private static Map<TopicPartition, Long> committed(Admin admin, Projection projection, Set<TopicPartition> partitions)
        throws Exception {
        Map<TopicPartition, Long> offsets = new HashMap<>();
        admin.listConsumerGroupOffsets(ProjectorRuntime.groupId(projection)).partitionsToOffsetAndMetadata().get()
            .forEach((partition, offset) -> {
                if (partitions.contains(partition) && offset != null) {
                    offsets.put(partition, offset.offset());
                }
            });
        return offsets;
    }

    /**
     * Every record of the partitions from the given offsets to their ends now, with a plain consumer; fails naming
     * the partitions it could not read to the end (a partial read would undercount).
     */
    private List<ConsumerRecord<String, String>> recordsFrom(Map<TopicPartition, Long> from) {
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
            new StringDeserializer())) {
            consumer.assign(from.keySet());
            from.forEach(consumer::seek);
            Map<TopicPartition, Long> ends = consumer.endOffsets(from.keySet());
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (from.keySet().stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read the victim's partitions to their ends in 30 s: "
                        + from.keySet().stream().filter(p -> consumer.position(p) < ends.get(p))
                            .map(p -> p + " at " + consumer.position(p) + " of " + ends.get(p)).toList());
                }
                consumer.poll(Duration.ofMillis(200)).forEach(record -> {
                    if (record.offset() < ends.get(new TopicPartition(record.topic(), record.partition()))) {
                        records.add(record);
                    }
                });
            }
        }
        return records;
    }

    private ReadModelCheck awaitExact(Projection projection, Duration atMost) {
        await().atMost(atMost).pollInterval(Duration.ofMillis(500))
            .until(() -> pipeline.checkReadModel(projection).readModelExact());
        return pipeline.checkReadModel(projection);
    }

    private void rewindGroup(Projection projection) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            String topic = pipeline.kafkaSettings().topicNaming().topicFor("patient");
            Map<TopicPartition, OffsetAndMetadata> zero = new HashMap<>();
            admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()
                .forEach(p -> zero.put(new TopicPartition(topic, p.partition()), new OffsetAndMetadata(0)));
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                admin.alterConsumerGroupOffsets(ProjectorRuntime.groupId(projection), zero).all().get();
                return true;
            });
        }
    }

    static Document readModelDocument(Pipeline pipeline, Projection projection, String id) {
        return pipeline.database().getCollection(projection.name()).find(new Document("_id", id)).first();
    }
}
