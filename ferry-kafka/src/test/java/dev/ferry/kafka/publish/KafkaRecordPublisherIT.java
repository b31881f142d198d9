package dev.ferry.kafka.publish;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.RecordPublisher;
import dev.ferry.core.relay.spi.RecordRefused;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.embedded.kafka.EmbeddedKafka;
import dev.ferry.engine.wire.EventJsonDecoder;

/** What a record looks like on the wire: topic per aggregate type, key = aggregate id, JSON value, headers. */
@Timeout(120)
class KafkaRecordPublisherIT {

    private static EmbeddedKafka kafka;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stop() {
        kafka.close();
    }

    @Test
    void publishesTheEventAsJsonKeyedByAggregateIdWithCloudEventsHeaders() throws Exception {
        KafkaSettings settings = KafkaSettings.local(kafka.bootstrapServers());
        Event event = new Event("e-1", "patient", "p-42", 1, "PatientRegistered",
            Instant.parse("2026-11-23T16:00:00Z"), "{\"name\":\"Ada\"}", new EventMetadata("c-1", null));
        try (KafkaPublishers publishers = new KafkaPublishers(settings)) {
            RecordPublisher publisher = publishers.get();
            publisher.publish(event, new RecordPublisher.Provenance("r1", 3, 17)).get();
            publisher.publishDeadLetter(new Change.Refused(new ResumeToken("{\"_data\":\"01\"}"), "{\"x\":1}",
                "not a valid commit: 'aggregateId' must be a non-empty string"), new RecordPublisher.Provenance("r1", 3, 17))
                .get();
            publisher.close();
        }

        ConsumerRecord<String, byte[]> record = readOne("ferry.patient");
        assertThat(record.key()).isEqualTo("p-42");
        assertThat(new EventJsonDecoder().decode(record.value())).isEqualTo(event);
        assertThat(header(record, "ce_id")).isEqualTo("e-1");
        assertThat(header(record, "ce_type")).isEqualTo("PatientRegistered");
        assertThat(header(record, "ce_source")).isEqualTo("ferry/patient");
        assertThat(header(record, "ce_subject")).isEqualTo("p-42");
        assertThat(header(record, "ferry_epoch")).isEqualTo("3");
        assertThat(header(record, "ferry_sequence")).isEqualTo("17");
        assertThat(header(record, "ce_ferryversionrule")).isEqualTo("contiguous");

        ConsumerRecord<String, byte[]> deadLetter = readOne("ferry.dead-letter");
        assertThat(new String(deadLetter.value(), UTF_8)).contains("\"document\":{\"x\":1}");
        assertThat(header(deadLetter, "ferry_reason")).contains("aggregateId");

        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            assertThat(admin.describeTopics(List.of("ferry.patient")).allTopicNames().get().get("ferry.patient")
                .partitions()).hasSize(settings.partitions());
        }
    }

    @Test
    void gzipCompressedRecordsAsAzureEventHubsAcceptsThemArriveIntact() throws Exception {
        KafkaSettings settings = KafkaSettings.local(kafka.bootstrapServers())
            .withTopics(new dev.ferry.core.partition.TopicNaming("gz."), "gz.dead-letter").withCompression("gzip");
        Event event = new Event("e-2", "patient", "p-43", 1, "PatientRegistered",
            Instant.parse("2026-11-23T16:00:00Z"), "{\"note\":\"" + "x".repeat(2_000) + "\"}", new EventMetadata(null, null));
        try (KafkaPublishers publishers = new KafkaPublishers(settings)) {
            RecordPublisher publisher = publishers.get();
            publisher.publish(event, new RecordPublisher.Provenance("r1", 1, 1)).get();
            publisher.close();
        }

        assertThat(new EventJsonDecoder().decode(readOne("gz.patient").value())).isEqualTo(event);
    }

    @Test
    void aRelaysPublishersKeepTheNextTermsProducerReadyAndLeaveNoProducerBehind() throws Exception {
        KafkaSettings settings = KafkaSettings.local(kafka.bootstrapServers());
        long producersBefore = producerThreads();
        try (KafkaPublishers publishers = KafkaPublishers.keepingOneReady(settings)) {
            for (int term = 1; term <= 2; term++) {
                // One made ahead and connected (the earlier term's closed): the term takes it over.
                await().atMost(Duration.ofSeconds(30)).until(publishers::hasProducerReady);
                assertThat(producerThreads()).isEqualTo(producersBefore + 1);
                RecordPublisher publisher = publishers.get();
                Event event = new Event("ahead-" + term, "ahead", "a-1", term, "Made", Instant.now(), "{}",
                    new EventMetadata(null, null));
                publisher.publish(event, new RecordPublisher.Provenance("r1", term, term)).get();
                publisher.close();
            }
            assertThat(publishers.producersMadeAtTakeover()).isZero();
            assertThat(readAll("ferry.ahead", 2)).extracting(ConsumerRecord::key).containsExactly("a-1", "a-1");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> producerThreads() == producersBefore);
    }

    /**
     * A limit of the broker's below the producer's (a topic's max.message.bytes) is refused on sending, as a
     * {@link RecordRefused} the relay dead-letters, not as a failure of the broker. (What Kafka cannot carry by the
     * rules every transport shares is refused while preparing: {@code KafkaTransportContractIT}.)
     */
    @Test
    void aTopicsLimitBelowTheProducersIsRefusedOnSendingAsARecordRefused() throws Exception {
        KafkaSettings settings = KafkaSettings.local(kafka.bootstrapServers());
        try (KafkaPublishers publishers = new KafkaPublishers(settings)) {
            RecordPublisher publisher = publishers.get();
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
                admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic("ferry.small", 1, (short) 1)
                    .configs(Map.of("max.message.bytes", "10000")))).all().get();
            }
            java.util.concurrent.CompletableFuture<Void> sent = publisher.publish(
                eventOf("small", "{\"x\":\"" + "x".repeat(50_000) + "\"}"), new RecordPublisher.Provenance("r1", 1, 1));
            assertThatThrownBy(sent::join).hasCauseInstanceOf(RecordRefused.class)
                .hasMessageContaining("the broker refused the record of ferry.small");
            publisher.abort();
        }
    }

    /**
     * A new producer's first record to a partition goes alone: the next record to that partition is not handed to the
     * producer until the first is acknowledged, and never if the first fails. Otherwise, if the first batch met
     * NOT_LEADER_OR_FOLLOWER while a later one got in, the broker would accept the later one and the first could
     * never be written (KAFKA-15591): version 2 of an aggregate without version 1. Other partitions are not held up.
     * A producer that acknowledges only when told shows what is sent when.
     */
    @Test
    void aPartitionsFirstRecordIsAcknowledgedBeforeTheNextIsSentThere() throws Exception {
        KafkaSettings settings = KafkaSettings.local(kafka.bootstrapServers())
            .withTopics(new dev.ferry.core.partition.TopicNaming("gate."), "gate.dead-letter");
        String topic = "gate.patient";
        Node broker = new Node(0, "localhost", 9092);
        List<PartitionInfo> partitions = new ArrayList<>();
        for (int p = 0; p < settings.partitions(); p++) {
            partitions.add(new PartitionInfo(topic, p, broker, new Node[] {broker}, new Node[] {broker}));
        }
        String otherKey = java.util.stream.IntStream.range(0, 1_000).mapToObj(i -> "p-" + i)
            .filter(key -> partitionOf(key, partitions.size()) != partitionOf("p-1", partitions.size()))
            .findFirst().orElseThrow();

        // In Kafka's exactly-once mode too (issue 35): the records then go in the term's transaction.
        for (boolean transactional : new boolean[] {false, true}) {
            for (boolean firstFails : new boolean[] {false, true}) {
                MockProducer<String, byte[]> producer = new MockProducer<>(new Cluster("c", List.of(broker), partitions,
                    java.util.Set.of(), java.util.Set.of()), false, null, new StringSerializer(), new ByteArraySerializer());
                if (transactional) {
                    producer.initTransactions();
                }
                java.util.function.Supplier<List<ProducerRecord<String, byte[]>>> sent = () -> transactional
                    ? producer.uncommittedRecords() : producer.history();
                try (TopicProvisioner topics = new TopicProvisioner(settings)) {
                    RecordPublisher publisher = new KafkaRecordPublisher(producer, topics, settings, () -> { }, 1_000_000,
                        transactional ? new ExactlyOnce("gate.relay-r", "gate.relay-positions") : null, null);
                    CompletableFuture<Void> v1 = publisher.publish(version("p-1", 1), new RecordPublisher.Provenance("r1", 1, 1));
                    assertThat(sent.get()).hasSize(1);

                    // The relay's one publishing thread, sending version 2 while version 1 is unacknowledged.
                    AtomicReference<CompletableFuture<Void>> v2 = new AtomicReference<>();
                    Thread sender = new Thread(() -> v2.set(publisher.publish(version("p-1", 2),
                        new RecordPublisher.Provenance("r1", 1, 2))), "relay-publisher");
                    sender.start();
                    await().atMost(Duration.ofSeconds(10)).until(() -> sender.getState() == Thread.State.TIMED_WAITING
                        || !sender.isAlive() || sent.get().size() > 1);
                    assertThat(sent.get()).as("sent while the partition's first record is unacknowledged")
                        .extracting(ProducerRecord::key).containsExactly("p-1");
                    assertThat(sender.getState()).as("the sender waits for the first acknowledgement")
                        .isEqualTo(Thread.State.TIMED_WAITING);
                    // Another partition's first record is not held up by this one's.
                    publisher.publish(version(otherKey, 1), new RecordPublisher.Provenance("r1", 1, 3));
                    assertThat(sent.get()).extracting(ProducerRecord::key).containsExactly("p-1", otherKey);

                    if (firstFails) {
                        producer.errorNext(new NotLeaderOrFollowerException("the partition's leader moved"));
                        sender.join(10_000); // the sender only waits for the answer just given: 10 s is far beyond it
                        assertThat(sender.isAlive()).as("the sender still waiting 10 s after version 1 was answered")
                            .isFalse();
                        assertThat(v1).isCompletedExceptionally();
                        assertThat(v2.get()).as("version 2, after version 1 failed").isCompletedExceptionally();
                        assertThat(sent.get()).as("version 2 is never sent without version 1")
                            .extracting(ProducerRecord::key).containsExactly("p-1", otherKey);
                    } else {
                        producer.completeNext();
                        sender.join(10_000); // the sender only waits for the answer just given: 10 s is far beyond it
                        assertThat(sender.isAlive()).as("the sender still waiting 10 s after version 1 was answered")
                            .isFalse();
                        assertThat(v1).isCompleted();
                        assertThat(sent.get()).extracting(ProducerRecord::key).containsExactly("p-1", otherKey, "p-1");
                        // Later records to the partition go without waiting: the gate is the first record's only.
                        publisher.publish(version("p-1", 3), new RecordPublisher.Provenance("r1", 1, 4));
                        assertThat(sent.get()).hasSize(4);
                    }
                    publisher.abort();
                }
            }
        }
    }

    private static Event version(String aggregateId, long version) {
        return new Event(aggregateId + "-v" + version, "patient", aggregateId, version, "Noted",
            Instant.parse("2026-12-06T10:00:00Z"), "{}", new EventMetadata(null, null));
    }

    private static int partitionOf(String key, int partitions) {
        return org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(
            key.getBytes(UTF_8))) % partitions;
    }

    private static Event eventOf(String type, String payload) {
        return new Event("e-" + System.nanoTime(), type, "k-1", 1, "Noted", Instant.parse("2026-12-06T10:00:00Z"),
            payload, new EventMetadata(null, null));
    }

    /** Producers alive in this JVM: each runs one network thread. */
    private static long producerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
            .filter(thread -> thread.getName().startsWith("kafka-producer-network-thread")).count();
    }

    private static ConsumerRecord<String, byte[]> readOne(String topic) {
        return readAll(topic, 1).get(0);
    }

    /** The topic's records from the start, once there are {@code count} (and only that many). */
    private static List<ConsumerRecord<String, byte[]>> readAll(String topic, int count) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "publisher-it-" + topic);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer =
                 new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (records.size() < count && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        assertThat(records).hasSize(count);
        return records;
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        return new String(record.headers().lastHeader(name).value(), UTF_8);
    }
}
