package dev.ferry.kafka.publish;

import java.util.Optional;
import java.util.Set;

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

    private final KafkaRecordPublisher publisher;
    private final CheckpointStore store;
    private final RelayPositions positions;

    TransactionalCheckpoints(KafkaRecordPublisher publisher, CheckpointStore store, RelayPositions positions) {
        this.publisher = publisher;
        this.store = store;
        this.positions = positions;
    }

    @Override
    public Optional<Checkpoint> load(String relayName) {
        Optional<Checkpoint> committed = positions.last(relayName);
        Optional<Checkpoint> stored = store.load(relayName);
        Optional<Checkpoint> chosen = startingPosition(committed, stored);
        log.info("relay {}: exactly-once mode starts from {} (Kafka's position: {}; the checkpoint store's: {})",
            relayName, chosen.isEmpty() ? "no position" : chosen == committed ? "Kafka's committed position"
                : "the checkpoint store's", committed.map(c -> "sequence " + c.sequence()).orElse("none"),
            stored.map(c -> "sequence " + c.sequence()).orElse("none"));
        return chosen;
    }

    /**
     * Where a term starts: Kafka's committed position, unless the store's is further on — by sequence, or at the same
     * sequence saved later (a run without this mode since moved it over changes that published nothing: dead letters
     * that would be sent again, a quiet source whose old position may have left the oplog) — or Kafka holds none.
     */
    static Optional<Checkpoint> startingPosition(Optional<Checkpoint> committed, Optional<Checkpoint> stored) {
        if (committed.isEmpty() || stored.isEmpty()) {
            return committed.isEmpty() ? stored : committed;
        }
        Checkpoint kafka = committed.get();
        Checkpoint mongo = stored.get();
        boolean storeFurther = mongo.sequence() > kafka.sequence()
            || (mongo.sequence() == kafka.sequence() && mongo.savedAt().isAfter(kafka.savedAt()));
        return storeFurther ? stored : committed;
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
}
