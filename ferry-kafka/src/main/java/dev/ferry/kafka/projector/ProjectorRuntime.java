package dev.ferry.kafka.projector;

import java.util.Objects;

import dev.ferry.core.projection.Projection;
import dev.ferry.core.projection.ReadModelWriter;
import dev.ferry.core.target.ParkedEvents;
import dev.ferry.engine.ProcessorSettings;
import dev.ferry.engine.ProcessorStatus;
import dev.ferry.engine.ProjectionProcessor;
import dev.ferry.kafka.publish.KafkaSettings;
import dev.ferry.kafka.publish.TopicProvisioner;
import dev.ferry.kafka.subscription.KafkaPartitionSubscription;

/**
 * One projector instance on Kafka: the engine ({@link ProjectionProcessor}: lanes, runs, retries, parking, breakers,
 * operators' requests) over the projection's consumer group ({@link KafkaPartitionSubscription}).
 */
public final class ProjectorRuntime implements AutoCloseable {

    private final Projection projection;
    private final KafkaSettings kafka;
    private final ProjectionProcessor processor;

    public ProjectorRuntime(Projection projection, ReadModelWriter writer, ParkedEvents parkedEvents,
                            ProcessorSettings settings, KafkaSettings kafka, String instanceId) {
        this.projection = Objects.requireNonNull(projection, "projection");
        this.kafka = Objects.requireNonNull(kafka, "kafka");
        this.processor = new ProjectionProcessor(projection, writer, parkedEvents, settings,
            new KafkaPartitionSubscription(kafka, groupId(projection), projection.name() + "-" + instanceId,
                settings.sessionTimeout()), instanceId);
    }

    /** The consumer group of a projection ({@link KafkaPartitionSubscription#groupId}). */
    public static String groupId(Projection projection) {
        return KafkaPartitionSubscription.groupId(projection.name());
    }

    public void start() {
        try (TopicProvisioner topics = new TopicProvisioner(kafka)) {
            projection.aggregateTypes().stream().map(kafka.topicNaming()::topicFor).sorted().forEach(topics::ensure);
        }
        processor.start();
    }

    public ProcessorStatus status() {
        return processor.status();
    }

    /** Leaves the group gracefully: finishes what runs, commits, then hands the partitions over. */
    @Override
    public void close() {
        processor.close();
    }

    /** Dies as a crashed process would: no commit, no leave; the group moves its partitions after the session timeout. */
    public void kill() {
        processor.kill();
    }
}
