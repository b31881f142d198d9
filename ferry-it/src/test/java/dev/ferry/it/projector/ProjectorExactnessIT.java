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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.ferry.core.projection.Projection;
import dev.ferry.engine.ProcessorSettings;
import dev.ferry.it.replica.KafkaView;
import dev.ferry.it.support.AppendLoad;
import dev.ferry.it.support.Pipeline;
import dev.ferry.it.support.PipelineFixture;
import dev.ferry.it.support.ReadModelCheck;
import dev.ferry.it.support.TestProjections;
import dev.ferry.kafka.projector.ProjectorRuntime;
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
    /** How long the appends may still take once a kill has landed (see where it is used). */
    private static final Duration LOAD_BOUND = Duration.ofSeconds(120);

    private final List<ProjectorProcess> victims = new ArrayList<>();

    @AfterEach
    void killVictims() {
        IllegalStateException failed = null;
        for (ProjectorProcess victim : victims) { // every one, even if one does not exit
            try {
                victim.kill();
            } catch (IllegalStateException e) {
                failed = failed == null ? e : failed;
            }
        }
        if (failed != null) {
            throw failed;
        }
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
            pipeline.startProjector("p1", projection, ProcessorSettings.DEFAULT),
            pipeline.startProjector("p2", projection, ProcessorSettings.DEFAULT),
            pipeline.startProjector("p3", projection, ProcessorSettings.DEFAULT));

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
        ProjectorRuntime again = pipeline.startProjector("p4", projection, ProcessorSettings.DEFAULT);
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
     * confirmed to have landed mid-batch from outside the projector (see {@link #evidenceAfterKill}) — events of the
     * victim's partitions first published at or past the group's committed offsets, which only the victim was given,
     * that the read model already holds (applied, not acknowledged: they are delivered again to the next owner, which
     * must skip them) — or the victim is replaced and killed again.
     */
    @Test
    void aProjectorProcessKilledMidBatchLosesNothingAndAppliesNothingTwice(@TempDir Path logs) throws Exception {
        Projection projection = TestProjections.counter("counters_" + System.nanoTime());
        pipeline.watchReadModel(projection); // before anything writes the read model
        ProjectorProcess victim = startVictim(projection, 1, logs);
        pipeline.startProjector("p2", projection, ProcessorSettings.DEFAULT);
        pipeline.startProjector("p3", projection, ProcessorSettings.DEFAULT);
        List<CompletableFuture<Void>> loads = new CopyOnWriteArrayList<>(); // also appended to from await polls
        String group = ProjectorRuntime.groupId(projection);

        KillEvidence landed = null;
        List<KillEvidence> kills = new ArrayList<>();
        try (KafkaView broker = new KafkaView(kafka.bootstrapServers())) {
            for (int attempt = 1; attempt <= MAX_KILLS && landed == null; attempt++) {
                if (attempt > 1) {
                    victim = startVictim(projection, attempt, logs);
                }
                // Appends run through every attempt: a kill after the last record is applied and acknowledged
                // cannot land mid-batch. (A new load on the same aggregates reloads their versions on conflict.)
                Runnable keepAppending = () -> {
                    if (loads.isEmpty() || loads.get(loads.size() - 1).isDone()) {
                        loads.add(new AppendLoad(pipeline.store(), "patient", 500, 12_000, 4).start());
                    }
                };
                keepAppending.run();
                Set<TopicPartition> working = awaitWorking(broker, group, victim.clientId(projection), keepAppending);
                victim.kill();
                long killedAt = System.nanoTime();
                KillEvidence evidence = evidenceAfterKill(broker, projection, victim, working);
                kills.add(evidence);
                System.out.printf("ProjectorExactnessIT kill %d: %s%n", attempt, evidence);
                if (evidence.landedMidBatch()) {
                    landed = evidence;
                    String dead = victim.clientId(projection);
                    // its partitions move to the survivors once the group notices (the session timeout)
                    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
                        Map<String, Set<TopicPartition>> members = broker.members(group);
                        return !members.containsKey(dead) && members.values().stream().flatMap(Set::stream)
                            .collect(Collectors.toSet()).containsAll(working);
                    });
                    System.out.printf("ProjectorExactnessIT: partitions %s moved %d ms after the kill%n", working,
                        (System.nanoTime() - killedAt) / 1_000_000);
                }
            }
        }
        assertThat(landed).as("none of %d kills landed mid-batch (records applied but not acknowledged): %s",
            MAX_KILLS, kills).isNotNull();

        // A load of 12,000 appends takes well under a minute here even on a loaded machine; a stuck one fails here,
        // named, rather than at the test's @Timeout.
        try {
            CompletableFuture.allOf(loads.toArray(new CompletableFuture<?>[0])).get(LOAD_BOUND.toSeconds(),
                TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("the appends were not done " + LOAD_BOUND + " after the kill landed", e);
        }
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
     * The victim's partitions on which it is working on its own: it owns them (the group says), and the group's
     * committed offset of each has passed the partition's end offset as read once it owned them. So every record
     * before the committed offset was acknowledged (by it or a previous owner), and every record from it on was
     * published after the victim got the partition and delivered to the victim alone — no previous owner's applied
     * but unacknowledged records remain past it. Waits until at least one partition is working, appending more
     * meanwhile if the load ends first (a partition that gets no record after its assignment never works).
     */
    private static Set<TopicPartition> awaitWorking(KafkaView broker, String group, String clientId,
                                                    Runnable keepAppending) {
        Set<TopicPartition> owned = new HashSet<>();
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() -> {
            owned.clear();
            owned.addAll(broker.members(group).getOrDefault(clientId, Set.of()));
            return !owned.isEmpty();
        });
        Map<TopicPartition, Long> endsAtAssignment = broker.ends(owned);
        Set<TopicPartition> working = new HashSet<>();
        // Each attempt starts with appends running (see the caller), so there is work to acknowledge.
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(20)).until(() -> {
            keepAppending.run();
            Map<TopicPartition, Long> now = broker.committed(group);
            owned.stream().filter(p -> now.getOrDefault(p, -1L) > endsAtAssignment.get(p)).forEach(working::add);
            return !working.isEmpty();
        });
        return working;
    }

    /**
     * Read from outside right after the kill: the group's committed offsets of the victim's working partitions, the
     * read model's versions, then the group again — still holding the dead member with those partitions, so nobody
     * else has committed or written them since. Then each of those partitions from its beginning: an event counts as
     * applied but not acknowledged if its first copy is at or past the committed offset (only the victim was given it;
     * a copy re-published after a relay failover of an event first published before does not count) and the read
     * model's version of its aggregate is at or above the event's.
     */
    private KillEvidence evidenceAfterKill(KafkaView broker, Projection projection, ProjectorProcess victim,
                                           Set<TopicPartition> working) {
        String group = ProjectorRuntime.groupId(projection);
        Map<TopicPartition, Long> committed = new HashMap<>(broker.committed(group));
        committed.keySet().retainAll(working);
        Map<String, Long> applied = new HashMap<>();
        for (Document document : pipeline.database().getCollection(projection.name()).find()) {
            applied.put(document.getString("_id"), ((Number) document.get(MongoReadModelWriter.VERSION)).longValue());
        }
        boolean unmoved = committed.keySet().equals(working) && broker.members(group)
            .getOrDefault(victim.clientId(projection), Set.of()).containsAll(working);
        Map<TopicPartition, Long> beginning = new HashMap<>();
        working.forEach(p -> beginning.put(p, 0L));
        Set<String> seen = new HashSet<>();
        long pending = 0;
        long republished = 0;
        long appliedUnacknowledged = 0;
        // in offset order per partition, and an event's copies share its aggregate's partition
        for (KafkaView.EventRecord record : broker.events(beginning)) {
            boolean first = seen.add(record.eventId());
            if (record.offset() < committed.getOrDefault(record.partition(), Long.MAX_VALUE)) {
                continue;
            }
            if (!first) {
                republished++;
                continue;
            }
            pending++;
            if (applied.getOrDefault(record.aggregateId(), 0L) >= record.version()) {
                appliedUnacknowledged++;
            }
        }
        return new KillEvidence(victim.instanceId(), committed, pending, republished, appliedUnacknowledged, unmoved);
    }

    /**
     * What a kill left: past the committed offsets, {@code pending} events first published there, of which
     * {@code appliedUnacknowledged} already in the read model, and {@code republished} copies of earlier events (not
     * counted); {@code unmoved}: the partitions were still the dead member's after the read.
     */
    private record KillEvidence(String victim, Map<TopicPartition, Long> committed, long pending, long republished,
                                long appliedUnacknowledged, boolean unmoved) {
        boolean landedMidBatch() {
            return unmoved && appliedUnacknowledged > 0;
        }
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
