package dev.ferry.kafka.publish;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ferry.core.relay.spi.CheckpointStore;

/**
 * A term's checkpoints in exactly-once mode. Each save commits the term's Kafka transaction with the relay's position
 * in it (the positions topic, keyed by relay name), then writes the same checkpoint to the relay's own store (MongoDB),
 * which operators, {@code ferry status} and a standby's rehearsal read. A term starts from the position committed in
 * Kafka, read after its producer fenced its predecessors: what a deposed leader sent after its last commit is never
 * visible, so nothing visible is sent twice.
 * <p>
 * When the two disagree, the one further on (by sequence, which counts every record published) wins, Kafka's on a tie:
 * MongoDB's lags by at most one commit (it is written after it), and is ahead only if the relay ran without this mode
 * since Kafka's was written (what it published then is visible as it is); with no position in Kafka (the mode just
 * switched on, or the topic lost), MongoDB's is used.
 */
final class TransactionalCheckpoints implements CheckpointStore {

    private static final Logger log = LoggerFactory.getLogger(TransactionalCheckpoints.class);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);
    /** How far back from the end a term first looks for its relay's last position (two offsets per commit). */
    private static final long FIRST_LOOK_BACK = 1_000;

    private final KafkaRecordPublisher publisher;
    private final CheckpointStore store;
    private final ExactlyOnce mode;
    private final KafkaSettings settings;

    TransactionalCheckpoints(KafkaRecordPublisher publisher, CheckpointStore store, ExactlyOnce mode,
                             KafkaSettings settings) {
        this.publisher = publisher;
        this.store = store;
        this.mode = mode;
        this.settings = settings;
    }

    @Override
    public Optional<Checkpoint> load(String relayName) {
        Optional<Checkpoint> committed = committedPosition(relayName);
        Optional<Checkpoint> stored = store.load(relayName);
        Optional<Checkpoint> chosen = committed.isEmpty() ? stored
            : stored.isPresent() && stored.get().sequence() > committed.get().sequence() ? stored : committed;
        log.info("relay {}: exactly-once mode starts from {} (Kafka's position: {}; the checkpoint store's: {})",
            relayName, chosen.isEmpty() ? "no position" : chosen == committed ? "Kafka's committed position"
                : "the checkpoint store's", committed.map(c -> "sequence " + c.sequence()).orElse("none"),
            stored.map(c -> "sequence " + c.sequence()).orElse("none"));
        return chosen;
    }

    @Override
    public void save(String relayName, Checkpoint checkpoint) {
        publisher.commit(relayName, checkpoint.epoch(), RelayPositionJson.encode(checkpoint));
        store.save(relayName, checkpoint);
    }

    @Override
    public boolean commitsTheRecordsSent() {
        return true;
    }

    @Override
    public Set<String> copyRequests(String relayName) {
        return store.copyRequests(relayName);
    }

    @Override
    public void requestCopy(String relayName, String source) {
        store.requestCopy(relayName, source);
    }

    @Override
    public void clearCopyRequest(String relayName, String source) {
        store.clearCopyRequest(relayName, source);
    }

    /**
     * The relay's last committed position: read committed only, to the partition's last stable offset, looking back
     * from the end (doubling the distance) until a record of this relay is found.
     */
    private Optional<Checkpoint> committedPosition(String relayName) {
        TopicPartition partition = new TopicPartition(mode.positionsTopic(), 0);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(readerConfig(), new StringDeserializer(),
            new ByteArrayDeserializer())) {
            consumer.assign(List.of(partition));
            long begin = consumer.beginningOffsets(List.of(partition), READ_TIMEOUT).get(partition);
            long end = consumer.endOffsets(List.of(partition), READ_TIMEOUT).get(partition);
            long lookBack = FIRST_LOOK_BACK;
            long to = end;
            while (to > begin) {
                long from = Math.max(begin, to - lookBack);
                Optional<Checkpoint> found = lastOf(consumer, partition, relayName, from, to);
                if (found.isPresent()) {
                    return found;
                }
                to = from;
                lookBack *= 2;
            }
            return Optional.empty();
        }
    }

    private static Optional<Checkpoint> lastOf(KafkaConsumer<String, byte[]> consumer, TopicPartition partition,
                                               String relayName, long from, long to) {
        consumer.seek(partition, from);
        ConsumerRecord<String, byte[]> last = null;
        long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
        while (consumer.position(partition, READ_TIMEOUT) < to) {
            for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                if (record.offset() < to && relayName.equals(record.key()) && record.value() != null) {
                    last = record;
                }
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("cannot read the relay positions in " + partition + " from offset "
                    + from + " to " + to + " within " + READ_TIMEOUT.toSeconds() + " s");
            }
        }
        if (last == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(RelayPositionJson.decode(last.value()));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("relay " + relayName + ": its last position in " + partition + " at offset "
                + last.offset() + " cannot be read: " + e.getMessage(), e);
        }
    }

    private Map<String, Object> readerConfig() {
        Map<String, Object> config = new HashMap<>(settings.clientProperties());
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "ferry-relay-positions");
        return config;
    }
}
