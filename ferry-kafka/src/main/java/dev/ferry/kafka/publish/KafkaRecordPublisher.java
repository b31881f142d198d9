package dev.ferry.kafka.publish;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.Utils;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.FerryRecord;
import dev.ferry.core.partition.PartitionKey;
import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.CheckpointStore;
import dev.ferry.core.relay.spi.RecordPublisher;
import dev.ferry.core.relay.spi.RecordRefused;
import dev.ferry.core.wire.EventJson;
import dev.ferry.core.wire.FerryHeaders;
import dev.ferry.core.wire.RecordEncoder;
import dev.ferry.core.wire.RecordEncoding;

/**
 * Publishes to Kafka: topic per aggregate type or entity (created explicitly; an entity's compacted), key = aggregate
 * or entity id, value = the event or entity change as JSON (a tombstone: none), CloudEvents headers. One producer per leadership term; {@link KafkaPublishers} makes them. Used by one
 * relay thread at a time; a partition's first record goes alone ({@link FirstSendGate}).
 */
final class KafkaRecordPublisher implements RecordPublisher {

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);
    /** A partition's first acknowledgement normally takes milliseconds; beyond this the term is given up and restarted. */
    private static final Duration FIRST_ACK_TIMEOUT = Duration.ofSeconds(15);
    /**
     * The provenance headers added at sending and the batch's framing, above the key, value and headers: the
     * producer's own estimate of a record's size (what it checks against max.request.size) stays below this sum.
     */
    private static final int RECORD_OVERHEAD_BYTES = 512;

    private final Producer<String, byte[]> producer;
    private final TopicProvisioner topics;
    private final KafkaSettings settings;
    private final Runnable onIdempotenceRefused;
    private final FirstSendGate firstSends = new FirstSendGate(FIRST_ACK_TIMEOUT);
    private final Map<String, Integer> partitionCounts = new HashMap<>();
    private final long maxRecordBytes;
    /** Encodes each record's value once into a reused buffer (one relay thread at a time, as the whole publisher). */
    private final RecordEncoder encoder = RecordEncoding.encoder();
    private final HeaderBytes headerBytes = new HeaderBytes();
    /** Exactly-once mode, or null: then every send is in a transaction that a checkpoint commits. */
    private final ExactlyOnce exactlyOnce;
    /** Exactly-once mode: where a term reads its relay's committed position; else null. */
    private final RelayPositions positions;
    private boolean inTransaction;

    /**
     * @param maxRecordBytes the producer's {@code max.request.size}: a larger record is refused before sending
     * @param exactlyOnce    null, or the mode whose transactions this publisher's producer (its transactions
     *                       initialised) sends in
     * @param positions      in that mode, the reader of the relay's committed positions; else null
     */
    KafkaRecordPublisher(Producer<String, byte[]> producer, TopicProvisioner topics, KafkaSettings settings,
                        Runnable onIdempotenceRefused, long maxRecordBytes, ExactlyOnce exactlyOnce,
                        RelayPositions positions) {
        this.exactlyOnce = exactlyOnce;
        this.positions = positions;
        this.maxRecordBytes = maxRecordBytes;
        this.producer = producer;
        this.topics = topics;
        this.settings = settings;
        this.onIdempotenceRefused = onIdempotenceRefused;
    }

    @Override
    public Prepared prepare(FerryRecord record) {
        String topic;
        try {
            topic = settings.topicNaming().topicFor(record.type());
        } catch (IllegalArgumentException e) {
            throw new RecordRefused(field(record) + ": " + e.getMessage(), false);
        }
        if (topic.equals(settings.deadLetterTopic())) {
            throw new RecordRefused(field(record) + " '" + record.type() + "' is reserved: its topic " + topic
                + " is the dead-letter topic", false);
        }
        if (exactlyOnce != null && topic.equals(exactlyOnce.positionsTopic())) {
            throw new RecordRefused(field(record) + " '" + record.type() + "' is reserved: its topic " + topic
                + " holds the relay's positions", false);
        }
        if (topic.startsWith("__")) {
            throw new RecordRefused(field(record) + " '" + record.type() + "' is reserved: topic names starting with "
                + "'__' are Kafka's internal topics", false);
        }
        RecordHeaders headers = new RecordHeaders();
        headerBytes.into(headers);
        // A tombstone's value is null: Kafka's tombstone, compaction forgets the key.
        byte[] value = encoder.encode(record, headerBytes);
        String key = PartitionKey.of(record);
        long size = RECORD_OVERHEAD_BYTES + Utils.utf8Length(key) + (value == null ? 0 : value.length)
            + headerBytes.size();
        if (size > maxRecordBytes) {
            throw new RecordRefused("the record of " + record.type() + " " + key + " would be " + size + " bytes, over "
                + "the producer's max.request.size of " + maxRecordBytes, true);
        }
        return new Outgoing(record, topic, key, headers, value);
    }

    @Override
    public CompletableFuture<Void> publish(Prepared prepared, Provenance provenance) {
        Outgoing outgoing = (Outgoing) prepared;
        addProvenance(outgoing.headers(), provenance);
        try {
            if (outgoing.record() instanceof Event) {
                topics.ensure(outgoing.topic());
            } else {
                topics.ensureCompacted(outgoing.topic());
            }
            TopicPartition partition = new TopicPartition(outgoing.topic(), partitionFor(outgoing.topic(),
                outgoing.key()));
            firstSends.awaitFirstSend(partition);
            CompletableFuture<Void> acked = send(new ProducerRecord<>(outgoing.topic(), partition.partition(),
                outgoing.key(), outgoing.value(), outgoing.headers()));
            firstSends.sent(partition, acked);
            return acked;
        } catch (RuntimeException e) {
            if (e.getCause() instanceof InvalidTopicException invalid) {
                // Valid by every rule checked before sending, yet refused by the broker: a name that collides with an
                // existing topic's ('.' and '_' are one to Kafka). Nothing was sent; the change is dead-lettered.
                return CompletableFuture.failedFuture(new RecordRefused(field(outgoing.record()) + " '"
                    + outgoing.record().type() + "': Kafka refuses its topic " + outgoing.topic() + ": "
                    + invalid.getMessage(), false, invalid));
            }
            return CompletableFuture.failedFuture(e);
        }
    }

    private static String field(FerryRecord record) {
        return record instanceof Event ? "aggregateType" : "entity";
    }

    /** A record as it will be sent, but for the provenance headers added at sending. */
    private record Outgoing(FerryRecord record, String topic, String key, RecordHeaders headers, byte[] value)
        implements Prepared {
    }

    /** The default partitioner's choice for a key (murmur2), made here so that the first-send gate knows it. */
    private int partitionFor(String topic, String key) {
        // Asked once per topic: a topic's partition count does not change under Ferry (more would break key order).
        Integer partitions = partitionCounts.get(topic);
        if (partitions == null) {
            partitions = producer.partitionsFor(topic).size();
            partitionCounts.put(topic, partitions);
        }
        return Utils.toPositive(Utils.murmur2(key.getBytes(UTF_8))) % partitions;
    }

    @Override
    public CompletableFuture<Void> publishDeadLetter(Change.Refused malformed, Provenance provenance) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(FerryHeaders.FERRY_REASON, malformed.reason().getBytes(UTF_8));
        addProvenance(headers, provenance);
        String value = EventJson.deadLetter(malformed);
        String topic = settings.deadLetterTopic();
        try {
            topics.ensure(topic);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return send(new ProducerRecord<>(topic, null, (String) null, value.getBytes(UTF_8), headers));
    }

    /** Sends to a topic that exists (the callers ensure it). */
    private CompletableFuture<Void> send(ProducerRecord<String, byte[]> record) {
        CompletableFuture<Void> acked = new CompletableFuture<>();
        try {
            beginTransactionIfNone();
            producer.send(record, (metadata, error) -> {
                if (error == null) {
                    acked.complete(null);
                } else {
                    if (error instanceof UnsupportedVersionException || error instanceof ClusterAuthorizationException) {
                        onIdempotenceRefused.run();
                    }
                    // Fail everything after it too, so nothing later can land while this one is missing; the
                    // relay re-sends from its checkpoint. (Called from a callback, close waits for nothing.)
                    producer.close(Duration.ZERO);
                    acked.completeExceptionally(refusedForContent(error) ? new RecordRefused("the broker refused the "
                        + "record of " + record.topic() + " " + record.key() + ": " + error.getMessage(),
                        !(error instanceof InvalidTopicException), error) : error);
                }
            });
        } catch (RuntimeException e) {
            acked.completeExceptionally(e);
        }
        return acked;
    }

    private void beginTransactionIfNone() {
        if (exactlyOnce != null && !inTransaction) {
            producer.beginTransaction();
            inTransaction = true;
        }
    }

    @Override
    public CheckpointStore checkpoints(String relay, CheckpointStore store) {
        return exactlyOnce == null ? store : new TransactionalCheckpoints(this, store, positions);
    }

    /**
     * Exactly-once mode: writes {@code relay}'s position to the positions topic and commits the transaction, so the
     * records sent since the last commit become visible to committed readers together with the position that covers
     * them.
     *
     * @throws CheckpointStore.Fenced if a newer leader's producer has fenced this one (nothing of this transaction is
     *                                ever committed)
     */
    void commit(String relay, long epoch, byte[] position) {
        try {
            beginTransactionIfNone();
            producer.send(new ProducerRecord<>(exactlyOnce.positionsTopic(), 0, relay, position));
            producer.commitTransaction();
            inTransaction = false;
        } catch (ProducerFencedException | InvalidProducerEpochException e) {
            throw new CheckpointStore.Fenced(relay, epoch);
        }
    }

    /** Errors about the record itself (a broker limit below the producer's, a name the broker refuses). */
    private static boolean refusedForContent(Exception error) {
        return error instanceof RecordTooLargeException || error instanceof RecordBatchTooLargeException
            || error instanceof InvalidTopicException;
    }

    private void addProvenance(RecordHeaders headers, Provenance provenance) {
        headerBytes.into(headers);
        FerryHeaders.forProvenance(provenance, headerBytes);
    }

    @Override
    public void close() {
        producer.close(CLOSE_TIMEOUT);
    }

    @Override
    public void abort() {
        producer.close(Duration.ZERO);
    }
}
