package dev.ferry.mongodb.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.event.FerryRecord;
import dev.ferry.core.event.NewEvent;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.RelaySettings;
import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.ChangeSource;
import dev.ferry.core.relay.spi.CheckpointStore;
import dev.ferry.core.relay.spi.RecordPublisher;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.core.relay.spi.StartPosition;
import dev.ferry.mongodb.MongoTestDatabase;
import dev.ferry.mongodb.changestream.ChangeStreamTail;
import dev.ferry.mongodb.changestream.DocumentReaders;
import dev.ferry.mongodb.changestream.MongoChangeSource;
import dev.ferry.mongodb.changestream.WatchedCollection;
import dev.ferry.mongodb.lease.MongoLeaseStore;
import dev.ferry.mongodb.store.MongoEventStore;

/**
 * A relay with nothing to publish still sees its stream's position move — its own lease renewals and checkpoints are
 * writes to the same MongoDB — and does not checkpoint each move: only published records are checkpointed at the short
 * interval; a graceful stop records where the stream was read to (embedded MongoDB, or FERRY_MONGODB_URI).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class IdleRelayCheckpointsIT {

    private static MongoTestDatabase mongo;

    @BeforeAll
    static void connect() {
        mongo = MongoTestDatabase.start("ferry_idle_relay");
    }

    @AfterAll
    static void disconnect() {
        mongo.close();
    }

    @Test
    void anIdleRelaysMovingPositionIsNotCheckpointedUntilItStops() {
        String name = "commits_" + System.nanoTime();
        String leases = "leases_" + System.nanoTime();
        MongoEventStore store = new MongoEventStore(mongo.database(), name, new TopicNaming("ferry."), 10_000).createIndexes();
        PositionsRead source = new PositionsRead(MongoChangeSource.of(mongo.client(), List.of(new WatchedCollection(
            mongo.database().getName(), name, DocumentReaders.commits())), ChangeStreamTail.Settings.DEFAULT));
        SavesCounted checkpoints = new SavesCounted(new MongoCheckpointStore(mongo.database(), leases));
        RelaySettings settings = RelaySettings.defaults("idle-" + name).withIdleCheckpointInterval(Duration.ofHours(1));
        ChangeStreamRelay relay = new ChangeStreamRelay(settings, "r1", source, AcknowledgingPublisher::new, checkpoints,
            new MongoLeaseStore(mongo.database(), leases), new MongoGapLog(mongo.database(), "gaps_" + name));
        relay.start();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> !source.positions.isEmpty()); // streaming from now
            store.append("patient", "p-1", 0, List.of(new NewEvent("PatientRegistered", "{}")));
            await().atMost(Duration.ofSeconds(30)).until(() -> relay.status().checkpointSequence() == 1);
            int saves = checkpoints.saves.size();
            int positions = source.positions.size();

            await("the stream's position moves while nothing is published").atMost(Duration.ofSeconds(30))
                .until(() -> source.positions.size() >= positions + 5);

            assertThat(checkpoints.saves).as("no checkpoint for a position nothing was published for").hasSize(saves);
            assertThat(relay.status().published()).isEqualTo(1);
        } finally {
            relay.close();
        }
        CheckpointStore.Checkpoint last = checkpoints.saves.get(checkpoints.saves.size() - 1);
        assertThat(last.sequence()).isEqualTo(1);
        assertThat(source.positions).as("a graceful stop records a position the stream was read to").contains(last.token());
        assertThat(last.token()).as("past the published record's checkpoint")
            .isNotEqualTo(checkpoints.saves.get(checkpoints.saves.size() - 2).token());
    }

    /** A change source that notes every new position its feeds report. */
    private static final class PositionsRead implements ChangeSource {
        private final ChangeSource source;
        final List<ResumeToken> positions = new CopyOnWriteArrayList<>();

        PositionsRead(ChangeSource source) {
            this.source = source;
        }

        @Override
        public ChangeFeed open(StartPosition start) {
            return noted(source.open(start));
        }

        @Override
        public ChangeFeed open(StartPosition start, Set<String> excluded) {
            return noted(source.open(start, excluded));
        }

        @Override
        public ChangeFeed openOnly(StartPosition start, String only) {
            return noted(source.openOnly(start, only));
        }

        @Override
        public int compare(ResumeToken a, ResumeToken b) {
            return source.compare(a, b);
        }

        @Override
        public Optional<Instant> timeOf(ResumeToken position) {
            return source.timeOf(position);
        }

        @Override
        public Optional<RetainedHistory> retained() {
            return source.retained();
        }

        private ChangeFeed noted(ChangeFeed feed) {
            return new ChangeFeed() {
                @Override
                public List<Change> poll() {
                    return feed.poll();
                }

                @Override
                public ResumeToken position() {
                    ResumeToken position = feed.position();
                    if (position != null && (positions.isEmpty() || !positions.get(positions.size() - 1).equals(position))) {
                        positions.add(position);
                    }
                    return position;
                }

                @Override
                public void close() {
                    feed.close();
                }
            };
        }
    }

    /** A checkpoint store that keeps every save it passes on. */
    private static final class SavesCounted implements CheckpointStore {
        private final CheckpointStore store;
        final List<Checkpoint> saves = new CopyOnWriteArrayList<>();

        SavesCounted(CheckpointStore store) {
            this.store = store;
        }

        @Override
        public Optional<Checkpoint> load(String relayName) {
            return store.load(relayName);
        }

        @Override
        public void save(String relayName, Checkpoint checkpoint) {
            store.save(relayName, checkpoint);
            saves.add(checkpoint);
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

    /** A broker that acknowledges every record at once. */
    private static final class AcknowledgingPublisher implements RecordPublisher {

        @Override
        public Prepared prepare(FerryRecord record) {
            return () -> record;
        }

        @Override
        public CompletableFuture<Void> publish(Prepared record, Provenance provenance) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<Void> publishDeadLetter(Change.Refused malformed, Provenance provenance) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void close() {
        }

        @Override
        public void abort() {
        }
    }
}
