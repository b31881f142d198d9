package dev.ferry.it.projector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.bson.Document;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.projection.Projection;
import dev.ferry.it.support.AppendLoad;
import dev.ferry.it.support.Pipeline;
import dev.ferry.it.support.PipelineFixture;
import dev.ferry.it.support.ReadModelCheck;
import dev.ferry.it.support.TestProjections;
import dev.ferry.kafka.projector.ProjectorRuntime;
import dev.ferry.engine.ProjectorSettings;

/**
 * Three projector instances in one consumer group build a read model equal to the fold of the event store, checked
 * against the independent apply log: no event applied twice, none out of order — also when an instance is killed
 * mid-batch, and when already-applied events are delivered again.
 */
@Timeout(400)
class ProjectorExactnessIT extends PipelineFixture {


    @BeforeEach
    void startRelay() {
        pipeline.startRelay("relay-1");
    }

    @Test
    void threeInstancesBuildTheExactFoldWithNoDuplicateOrReorderedApply() throws Exception {
        Projection projection = TestProjections.counter("counters_" + System.nanoTime());
        List<ProjectorRuntime> projectors = List.of(
            pipeline.startProjector("p1", projection, ProjectorSettings.DEFAULT),
            pipeline.startProjector("p2", projection, ProjectorSettings.DEFAULT),
            pipeline.startProjector("p3", projection, ProjectorSettings.DEFAULT));

        long started = System.nanoTime();
        new AppendLoad(pipeline.store(), "patient", 1_000, 20_000, 4).runToEnd();
        ReadModelCheck check = awaitExact(projection, Duration.ofSeconds(180));
        System.out.printf("ProjectorExactnessIT: 20,000 events over 1,000 aggregates appended, relayed and projected by 3 "
            + "instances in %d ms; %s%n", (System.nanoTime() - started) / 1_000_000, check);

        assertThat(check.duplicatesApplied()).isZero();
        assertThat(check.orderViolations()).isZero();
        assertThat(check.applies()).isEqualTo(20_000);
        assertThat(projectors).allSatisfy(p -> assertThat(p.status().applied()).isPositive());

        // Deliver everything again: reset the group to the beginning, all must be skipped as duplicates.
        projectors.forEach(ProjectorRuntime::close);
        rewindGroup(projection);
        ProjectorRuntime again = pipeline.startProjector("p4", projection, ProjectorSettings.DEFAULT);
        await().atMost(Duration.ofSeconds(120)).until(() -> again.status().duplicates() >= 20_000);
        ReadModelCheck afterReplay = pipeline.checkReadModel(projection);
        System.out.println("ProjectorExactnessIT replay: " + again.status() + " " + afterReplay);
        assertThat(afterReplay).isEqualTo(check);
        assertThat(again.status().applied()).isZero();
    }

    @Test
    void anInstanceKilledMidBatchLosesNothingAndAppliesNothingTwice() throws Exception {
        Projection projection = TestProjections.counter("counters_" + System.nanoTime());
        ProjectorSettings settings = ProjectorSettings.DEFAULT;
        ProjectorRuntime victim = pipeline.startProjector("p1", projection, settings);
        ProjectorRuntime second = pipeline.startProjector("p2", projection, settings);
        ProjectorRuntime third = pipeline.startProjector("p3", projection, settings);
        AppendLoad load = new AppendLoad(pipeline.store(), "patient", 500, 12_000, 4);
        CompletableFuture<Void> appending = load.start();

        await().atMost(Duration.ofSeconds(120)).until(() -> victim.status().applied() >= 1_000
            && !victim.status().assigned().isEmpty());
        var partitionsOfVictim = victim.status().assigned();
        victim.kill();
        long killedAt = System.nanoTime();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
            var owned = new java.util.HashSet<>(second.status().assigned());
            owned.addAll(third.status().assigned());
            return owned.containsAll(partitionsOfVictim);
        });
        long movedMillis = (System.nanoTime() - killedAt) / 1_000_000;

        appending.get();
        ReadModelCheck check = awaitExact(projection, Duration.ofSeconds(180));
        System.out.printf("ProjectorExactnessIT kill: partitions %s of the killed instance moved in %d ms; %s%n",
            partitionsOfVictim, movedMillis, check);
        assertThat(check.duplicatesApplied()).isZero();
        assertThat(check.orderViolations()).isZero();
        assertThat(movedMillis).as("partitions move after the session timeout").isLessThan(30_000);
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
