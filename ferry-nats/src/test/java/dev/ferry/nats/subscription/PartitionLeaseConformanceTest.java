package dev.ferry.nats.subscription;

import static dev.ferry.core.lease.PartitionLeaseVectors.named;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.SoftAssertions.assertSoftly;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import com.fasterxml.jackson.databind.JsonNode;

import io.nats.client.api.ConsumerConfiguration;

import dev.ferry.core.lease.PartitionLeaseVectors;
import dev.ferry.core.subscription.PartitionId;
import dev.ferry.engine.ownership.LeasedPartitionOwnership;
import dev.ferry.nats.NatsSettings;
import dev.ferry.nats.SubjectNaming;

/**
 * Ferry's NATS side passes the language-neutral conformance vectors of {@code contracts/partition-leases.json}
 * (sections {@code names}, {@code consumerStart} and {@code deliveries}; the Node client passes them too): a Java and
 * a Node instance of one group name leases, subjects and consumers alike, a new owner of either starts where the last
 * one stopped, and neither takes a message past lost deliveries. No server: {@link ConsumerStart} is the decision
 * {@link PartitionConsumer#start} sends to it, {@link DeliveryOrder} the one {@link PartitionConsumer#accept} makes.
 */
class PartitionLeaseConformanceTest {

    private static final PartitionLeaseVectors VECTORS = PartitionLeaseVectors.read();

    @TestFactory
    Stream<DynamicTest> names() {
        return VECTORS.section("names").map(vector -> named(inputs(vector) + ", instance " + vector.get("instance"), () -> {
            String group = vector.get("group").asText();
            PartitionId partition = partition(vector);
            assertSoftly(softly -> {
                softly.assertThat(LeasedPartitionOwnership.memberLeaseName(group, vector.get("instance").asText()))
                    .as("memberLease").isEqualTo(vector.get("memberLease").asText());
                softly.assertThat(LeasedPartitionOwnership.leaseName(group, partition)).as("partitionLease")
                    .isEqualTo(vector.get("partitionLease").asText());
                softly.assertThat(subject(vector)).as("subject").isEqualTo(vector.get("subject").asText());
                softly.assertThat(PartitionConsumer.consumerBase(group, partition) + vector.get("epoch").asLong())
                    .as("consumer").isEqualTo(vector.get("consumer").asText());
            });
        }));
    }

    @TestFactory
    Stream<DynamicTest> consumerStart() {
        return VECTORS.section("consumerStart").map(vector -> named(vector.get("name").asText(), () -> {
            List<ConsumerStart.Existing> existing = StreamSupport.stream(vector.get("existing").spliterator(), false)
                .map(consumer -> new ConsumerStart.Existing(consumer.get("name").asText(),
                    consumer.get("filterSubject").asText(), consumer.get("ackFloor").asLong(),
                    consumer.get("startSequence").isNull() ? null : consumer.get("startSequence").asLong()))
                .toList();
            String stream = vector.get("stream").asText();
            ConsumerStart plan = ConsumerStart.decide(vector.get("group").asText(), partition(vector),
                vector.get("epoch").asLong(), subject(vector), existing, NatsSettings.local("nats://localhost:4222", stream));

            assertThat(plan.floor()).as("floor").isEqualTo(vector.get("floor").asLong());
            JsonNode create = vector.get("create");
            if (create.isNull()) {
                assertThat(plan.create()).as("create").isNull();
            } else {
                ConsumerConfiguration config = plan.create();
                assertThat(config).as("create").isNotNull();
                assertSoftly(softly -> {
                    softly.assertThat(config.getDurable()).as("name").isEqualTo(create.get("name").asText());
                    softly.assertThat(config.getFilterSubject()).as("filterSubject")
                        .isEqualTo(create.get("filterSubject").asText());
                    softly.assertThat(config.getDeliverPolicy()).as("deliverPolicy")
                        .hasToString(create.get("deliverPolicy").asText());
                    // the client reports an unset start sequence as 0, which no stream sequence is
                    softly.assertThat(config.getStartSequence() == 0 ? null : config.getStartSequence())
                        .as("startSequence").isEqualTo(create.get("startSequence").isNull() ? null
                            : create.get("startSequence").asLong());
                    softly.assertThat(config.getAckPolicy()).as("ackPolicy").hasToString(create.get("ackPolicy").asText());
                });
            }
            assertThat(existing.stream().filter(e -> plan.deletes(e.name(), e.filterSubject()))
                .map(ConsumerStart.Existing::name)).as("delete")
                .containsExactlyElementsOf(StreamSupport.stream(vector.get("delete").spliterator(), false)
                    .map(JsonNode::asText).toList());
        }));
    }

    @TestFactory
    Stream<DynamicTest> deliveries() {
        return VECTORS.section("deliveries").map(vector -> named(vector.get("name").asText(), () -> {
            DeliveryOrder order = new DeliveryOrder(vector.get("ackFloorDelivery").asLong(), vector.get("floor").asLong());
            List<String> expected = new ArrayList<>();
            List<String> decided = new ArrayList<>();
            for (JsonNode step : vector.get("steps")) {
                long stream = step.get("streamSequence").asLong();
                long delivery = step.get("deliverySequence").asLong();
                String at = "stream " + stream + " delivery " + delivery + ": ";
                expected.add(at + step.get("then").asText());
                decided.add(at + order.next(stream, delivery).name().toLowerCase(Locale.ROOT));
            }
            assertThat(decided).as("then, step by step").containsExactlyElementsOf(expected);
        }));
    }


    private static PartitionId partition(JsonNode vector) {
        return new PartitionId(vector.get("type").asText(), vector.get("partition").asInt());
    }

    /** Through the stream's naming, which needs a partition count: any above the partition's number. */
    private static String subject(JsonNode vector) {
        int partition = vector.get("partition").asInt();
        return new SubjectNaming(vector.get("stream").asText(), partition + 1).subject(vector.get("type").asText(), partition);
    }

    private static String inputs(JsonNode vector) {
        return "stream " + vector.get("stream") + ", group " + vector.get("group") + ", " + vector.get("type").asText()
            + "-" + vector.get("partition") + " at epoch " + vector.get("epoch");
    }
}
