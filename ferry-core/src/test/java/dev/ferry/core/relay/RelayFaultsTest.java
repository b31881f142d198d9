package dev.ferry.core.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.event.FerryRecord;
import dev.ferry.core.lease.InMemoryLeaseStore;
import dev.ferry.core.lease.LeaseTiming;
import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.ChangeSource;
import dev.ferry.core.relay.spi.CheckpointStore;
import dev.ferry.core.relay.spi.RecordPublisher;
import dev.ferry.core.relay.spi.RecordRefused;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.core.relay.spi.StartPosition;

/**
 * What is a document's fault costs one dead letter and never a restart; what is the environment's restarts the
 * pipeline from the acknowledged prefix, with backoff, counted by cause; a relay that cannot move reports since when
 * changes wait. With a scripted feed and publisher, so each fault lands exactly where it is meant to.
 */
@Timeout(60)
class RelayFaultsTest {

    private final ScriptedFeed source = new ScriptedFeed();
    private final ScriptedPublisher transport = new ScriptedPublisher();
    private final InMemoryCheckpoints checkpoints = new InMemoryCheckpoints();
    private ChangeStreamRelay relay;

    @AfterEach
    void stop() {
        if (relay != null) {
            relay.close();
        }
    }

    @Test
    void aRecordThatCannotBePreparedCostsOneDeadLetterAndNoRestart() {
        transport.unpreparable.add("k-2"); // e.g. a bug or a rule in the transport's encoding: no I/O, so the record's fault
        lead();
        source.append("k-1", "k-2", "k-3");

        await().until(() -> relay.status().published() == 2 && relay.status().deadLettered() == 1);
        assertThat(transport.sentKeys()).containsExactly("k-1", "k-3");
        assertThat(transport.deadLetters).singleElement().asString().contains("cannot be made into a record");
        assertThat(relay.status().restartCount()).isZero();
        await().until(() -> checkpoints.sequence() == 2); // the checkpoint passed the dead letter
    }

    @Test
    void aRecordTheBrokerRefusesOnSendingIsDeadLetteredOnceReadAgainAndOnlyTheUnacknowledgedIsRepublished() {
        transport.refusedOnSending.add("k-2");
        lead(Duration.ofHours(1)); // no checkpoint but the one written before the restart
        source.append("k-1", "k-2", "k-3");

        await().until(() -> relay.status().deadLettered() == 1 && transport.sentKeys().contains("k-3"));
        assertThat(relay.status().restarts()).containsEntry(RelayStatus.Fault.RECORD_REFUSED, 1L);
        assertThat(relay.status().restartCount()).isEqualTo(1);
        assertThat(relay.status().lastFailure().fault()).isEqualTo(RelayStatus.Fault.RECORD_REFUSED);
        // k-1 was acknowledged, and checkpointed before the restart: sent once. k-2 was sent once, refused, then
        // dead-lettered when read again; k-3 failed behind it and was sent after the restart.
        assertThat(transport.sentKeys()).containsExactly("k-1", "k-2", "k-3");
        assertThat(transport.deadLetters).singleElement().asString().contains("refused");
    }

    @Test
    void aRecordThePublisherRefusesAtOnceBeforeSendingCostsOneDeadLetterAndNoRestart() {
        transport.refusedAtOnce.add("k-2");
        lead();
        source.append("k-1", "k-2", "k-3");

        await().until(() -> relay.status().published() == 2 && relay.status().deadLettered() == 1);
        assertThat(transport.sentKeys()).containsExactly("k-1", "k-3");
        assertThat(transport.deadLetters).singleElement().asString().contains("collides");
        assertThat(relay.status().restartCount()).isZero();
    }

    @Test
    void aDeadLetterTheBrokerRefusesIsSentAgainWithoutTheDocumentNeverInALoop() {
        transport.unpreparable.add("k-2");
        transport.refuseFirstDeadLetter.set(true);
        lead();
        source.append("k-1", "k-2", "k-3");

        await().until(() -> transport.sentKeys().contains("k-3") && relay.status().deadLettered() == 1);
        assertThat(transport.deadLetters).hasSize(2);
        assertThat(transport.deadLetters.get(1)).contains("its dead letter with the document was refused by the broker");
        assertThat(relay.status().restarts()).containsEntry(RelayStatus.Fault.RECORD_REFUSED, 1L);
    }

    @Test
    void brokerFailuresRestartThePipelineCountedAsTheBrokersAndReportedUntilItMovesAgain() {
        lead();
        transport.failNextSends.set(3);
        source.append("k-1", "k-2");

        await().until(() -> relay.status().published() == 2);
        RelayStatus status = relay.status();
        assertThat(status.restarts()).containsEntry(RelayStatus.Fault.BROKER, 3L);
        assertThat(status.restarts().get(RelayStatus.Fault.UNEXPECTED)).isZero();
        assertThat(status.lastFailure().cause()).contains("broker unreachable");
        assertThat(status.deadLettered()).isZero();
        await().until(() -> relay.status().waitingSince() == null);
    }

    @Test
    void changesWaitingUnacknowledgedAreReportedSinceWhenAndNoLongerOnceAcknowledged() {
        lead();
        assertThat(relay.status().waitingSince()).isNull();
        transport.holdAcks = true;
        Instant before = Instant.now();
        source.append("k-1");

        await().until(() -> relay.status().waitingSince() != null);
        RelayStatus held = relay.status();
        assertThat(held.waitingSince()).isBetween(before, Instant.now());
        assertThat(held.stalled(held.waitingSince().plusSeconds(2), Duration.ofSeconds(1))).isTrue();
        assertThat(held.stalled(held.waitingSince(), Duration.ofSeconds(1))).isFalse();

        transport.releaseAcks();
        await().until(() -> relay.status().waitingSince() == null && relay.status().published() == 1);
        assertThat(relay.status().restartCount()).isZero();
    }

    private void lead() {
        lead(Duration.ofMillis(10));
    }

    private void lead(Duration checkpointInterval) {
        checkpoints.save("faults", new CheckpointStore.Checkpoint(token(0), Map.of(), 0, 0, Instant.now()));
        RelaySettings settings = new RelaySettings("faults", new StartPosition.Now(), HistoryLostPolicy.FAIL, 1_000,
            checkpointInterval, checkpointInterval, Duration.ofMillis(10), LeaseTiming.DEFAULT);
        relay = new ChangeStreamRelay(settings, "i-1", source, transport, checkpoints, new InMemoryLeaseStore(),
            (name, from, to, reason) -> { });
        relay.start();
        await().until(() -> relay.status().role() == RelayStatus.Role.LEADER && checkpoints.sequence() == 0);
    }

    private static Event event(String key) {
        return new Event("e-" + key, "patient", key, 1, "Registered", Instant.EPOCH, "{}", new EventMetadata(null, null));
    }

    private static ResumeToken token(int position) {
        return new ResumeToken(String.format("{\"_data\":\"%08d\"}", position));
    }

    private static int position(ResumeToken token) {
        return Integer.parseInt(token.value().replaceAll("\\D", ""));
    }

    /** A change feed over a list of commits; position n is after the n-th change. */
    private static final class ScriptedFeed implements ChangeSource {

        private final List<Change> changes = new CopyOnWriteArrayList<>();

        void append(String... keys) {
            for (String key : keys) {
                changes.add(new Change.Commit(token(changes.size() + 1), List.of(event(key))));
            }
        }

        @Override
        public ChangeFeed open(StartPosition start) {
            int from = start instanceof StartPosition.AfterToken after ? position(after.token()) : changes.size();
            return new ChangeFeed() {
                private int next = from;

                @Override
                public List<Change> poll() {
                    if (next >= changes.size()) {
                        LockSupport.parkNanos(Duration.ofMillis(5).toNanos()); // a real feed's idle wait
                        return List.of();
                    }
                    List<Change> read = new ArrayList<>(changes.subList(next, changes.size()));
                    next = changes.size();
                    return read;
                }

                @Override
                public ResumeToken position() {
                    return token(next);
                }

                @Override
                public void close() {
                }
            };
        }
    }

    /** Publishers that fail where told; like Kafka's and NATS', a failed send fails every later one of its term. */
    private static final class ScriptedPublisher implements java.util.function.Supplier<RecordPublisher> {

        final Set<String> unpreparable = ConcurrentHashMap.newKeySet();
        final Set<String> refusedOnSending = ConcurrentHashMap.newKeySet();
        final Set<String> refusedAtOnce = ConcurrentHashMap.newKeySet();
        final java.util.concurrent.atomic.AtomicBoolean refuseFirstDeadLetter = new java.util.concurrent.atomic.AtomicBoolean();
        final AtomicInteger failNextSends = new AtomicInteger();
        final List<String> deadLetters = new CopyOnWriteArrayList<>();
        private final List<String> sent = new CopyOnWriteArrayList<>();
        private final List<CompletableFuture<Void>> held = new CopyOnWriteArrayList<>();
        volatile boolean holdAcks;

        List<String> sentKeys() {
            return List.copyOf(sent);
        }

        void releaseAcks() {
            holdAcks = false;
            held.forEach(ack -> ack.complete(null));
        }

        @Override
        public RecordPublisher get() {
            return new RecordPublisher() {
                private boolean failed;

                @Override
                public Prepared prepare(FerryRecord record) {
                    if (unpreparable.contains(record.key())) {
                        throw new IllegalStateException("no encoding for " + record.key());
                    }
                    return () -> record;
                }

                @Override
                public CompletableFuture<Void> publish(Prepared record, Provenance provenance) {
                    String key = record.record().key();
                    if (failed || failNextSends.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                        failed = true;
                        return CompletableFuture.failedFuture(new java.io.IOException("broker unreachable"));
                    }
                    if (refusedAtOnce.contains(key)) {
                        // e.g. a topic name colliding with an existing one: nothing sent, the term goes on
                        return CompletableFuture.failedFuture(new RecordRefused("topic of " + key + " collides", false));
                    }
                    sent.add(key);
                    if (refusedOnSending.remove(key)) {
                        failed = true;
                        CompletableFuture<Void> refused = new CompletableFuture<>(); // the broker answers later
                        CompletableFuture.delayedExecutor(20, java.util.concurrent.TimeUnit.MILLISECONDS).execute(() ->
                            refused.completeExceptionally(new RecordRefused("refused: " + key + " too large", true)));
                        return refused;
                    }
                    if (holdAcks) {
                        CompletableFuture<Void> ack = new CompletableFuture<>();
                        held.add(ack);
                        return ack;
                    }
                    return CompletableFuture.completedFuture(null);
                }

                @Override
                public CompletableFuture<Void> publishDeadLetter(Change.Refused malformed, Provenance provenance) {
                    deadLetters.add(malformed.reason());
                    if (refuseFirstDeadLetter.getAndSet(false)) {
                        failed = true;
                        CompletableFuture<Void> refused = new CompletableFuture<>();
                        CompletableFuture.delayedExecutor(20, java.util.concurrent.TimeUnit.MILLISECONDS).execute(() ->
                            refused.completeExceptionally(new RecordRefused("dead letter too large", true)));
                        return refused;
                    }
                    return CompletableFuture.completedFuture(null);
                }

                @Override
                public void close() {
                }

                @Override
                public void abort() {
                }
            };
        }
    }

    private static final class InMemoryCheckpoints implements CheckpointStore {

        private final Map<String, Checkpoint> saved = Collections.synchronizedMap(new java.util.HashMap<>());

        long sequence() {
            Checkpoint checkpoint = saved.get("faults");
            return checkpoint == null ? -1 : checkpoint.sequence();
        }

        @Override
        public Optional<Checkpoint> load(String relayName) {
            return Optional.ofNullable(saved.get(relayName));
        }

        @Override
        public void save(String relayName, Checkpoint checkpoint) {
            saved.put(relayName, checkpoint);
        }
    }
}
