package dev.ferry.kafka.publish;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import dev.ferry.core.relay.spi.CheckpointStore.Checkpoint;

/**
 * Reads a relay's last committed position from the exactly-once mode's positions topic: committed records only, to the
 * partition's last stable offset, looking back from the end (doubling the distance) until a record of the relay is
 * found. One reader per relay instance, made and connected ahead (a take-over then does not spend its first second
 * making a consumer), used by one term at a time.
 */
final class RelayPositions implements AutoCloseable {

    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);
    /** How far back from the end a term first looks for its relay's last position (two offsets per commit). */
    private static final long FIRST_LOOK_BACK = 1_000;
    /**
     * The transaction timeout, plus the broker's check for timed-out transactions (every 10 s by default), plus a
     * margin: by then the broker has aborted a transaction left open.
     */
    private static final Duration STABLE_WAIT = Duration.ofMillis(KafkaPublishers.TRANSACTION_TIMEOUT_MS + 15_000L);
    private static final Duration STABLE_POLL = Duration.ofMillis(50);

    private final TopicPartition partition;
    private final KafkaConsumer<String, byte[]> consumer;
    /** Reads only the end offset as a read_uncommitted reader sees it: what the stable offset has to reach. */
    private final KafkaConsumer<String, byte[]> uncommitted;

    RelayPositions(KafkaSettings settings, String topic) {
        this.partition = new TopicPartition(topic, 0);
        this.consumer = consumer(settings, "read_committed");
        this.uncommitted = consumer(settings, "read_uncommitted");
        consumer.assign(List.of(partition));
    }

    private static KafkaConsumer<String, byte[]> consumer(KafkaSettings settings, String isolation) {
        Map<String, Object> config = new HashMap<>(settings.clientProperties());
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "ferry-relay-positions");
        return new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** Connects and loads the partition's metadata, so that the first read is quick. */
    synchronized void connect() {
        consumer.endOffsets(List.of(partition), READ_TIMEOUT);
        uncommitted.endOffsets(List.of(partition), READ_TIMEOUT);
    }

    /**
     * The last position of {@code relay} committed to the topic, if any (a tombstone: none). First waits, bounded by
     * the transaction timeout, until the partition's last stable offset reaches the end it had: another relay sharing
     * the topic, frozen or dead between writing its position and committing, would otherwise hide this relay's newer
     * positions behind its open transaction until the broker aborts it.
     */
    synchronized Optional<Checkpoint> last(String relay) {
        long end = stableEnd();
        long begin = consumer.beginningOffsets(List.of(partition), READ_TIMEOUT).get(partition);
        long lookBack = FIRST_LOOK_BACK;
        long to = end;
        while (to > begin) {
            long from = Math.max(begin, to - lookBack);
            ConsumerRecord<String, byte[]> found = lastBetween(relay, from, to);
            if (found != null) {
                return found.value() == null ? Optional.empty() : Optional.of(decode(relay, found));
            }
            to = from;
            lookBack *= 2;
        }
        return Optional.empty();
    }

    private long stableEnd() {
        long target = uncommitted.endOffsets(List.of(partition), READ_TIMEOUT).get(partition);
        long deadline = System.nanoTime() + STABLE_WAIT.toNanos();
        while (true) {
            long stable = consumer.endOffsets(List.of(partition), READ_TIMEOUT).get(partition);
            if (stable >= target) {
                return stable;
            }
            if (System.nanoTime() - deadline > 0) {
                // Reading below it could miss this relay's newest position and re-send what is committed: the term
                // fails instead, and its restart (after a backoff) looks again.
                throw new IllegalStateException(partition + " is not stable after " + STABLE_WAIT.toSeconds()
                    + " s: a transaction holds its last stable offset at " + stable + " below " + target);
            }
            try {
                Thread.sleep(STABLE_POLL.toMillis()); // another relay's commit or the broker's abort, not ours
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + partition + " to be stable", e);
            }
        }
    }

    /** The last record of {@code relay} (a tombstone included) in {@code [from, to)}, or null. */
    private ConsumerRecord<String, byte[]> lastBetween(String relay, long from, long to) {
        consumer.seek(partition, from);
        ConsumerRecord<String, byte[]> last = null;
        long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
        while (consumer.position(partition, READ_TIMEOUT) < to) {
            for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                if (record.offset() < to && relay.equals(record.key())) {
                    last = record;
                }
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("cannot read the relay positions in " + partition + " from offset "
                    + from + " to " + to + " within " + READ_TIMEOUT.toSeconds() + " s");
            }
        }
        return last;
    }

    private Checkpoint decode(String relay, ConsumerRecord<String, byte[]> record) {
        try {
            return RelayPositionJson.decode(record.value());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("relay " + relay + ": its last position in " + partition + " at offset "
                + record.offset() + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** Interrupts a read or a connection under way (a consumer's wake-up), then closes. */
    @Override
    public void close() {
        consumer.wakeup();
        uncommitted.wakeup();
        synchronized (this) {
            consumer.close(Duration.ZERO);
            uncommitted.close(Duration.ZERO);
        }
    }
}
