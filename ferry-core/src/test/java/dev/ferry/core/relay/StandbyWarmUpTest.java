package dev.ferry.core.relay;

import static dev.ferry.core.relay.TestTerm.token;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.event.FerryRecord;
import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.ChangeSource;
import dev.ferry.core.relay.spi.CheckpointStore.Checkpoint;
import dev.ferry.core.relay.spi.RecordPublisher;
import dev.ferry.core.relay.spi.StartPosition;

/**
 * A standby's rehearsal of its takeover reads what follows the checkpoint and prepares it, sends nothing, checkpoints
 * nothing, stays within its bounds, stops once the instance leads, and never fails the relay.
 */
@Timeout(20)
class StandbyWarmUpTest {

    private final InMemoryChangeSource source = new InMemoryChangeSource();
    private final InMemoryCheckpointStore checkpoints = new InMemoryCheckpointStore();
    private final InMemoryPublisher sent = new InMemoryPublisher();
    private final CountingPublisher publisher = new CountingPublisher(sent);
    private final AtomicBoolean standingBy = new AtomicBoolean(true);

    @Test
    void preparesTheChangesAfterTheCheckpointAndSendsNothing() {
        source.append("orders", "k-1", "k-2", "k-3", "k-4");
        checkpoints.save(TestTerm.RELAY, checkpointAt(1));

        StandbyWarmUp warmUp = warmUp(StandbyWarmUp.Limits.DEFAULT);
        warmUp.run();

        assertThat(publisher.preparedKeys).containsExactly("k-2", "k-3", "k-4");
        assertThat(sent.sent).isEmpty();
        assertThat(sent.deadLetters).isEmpty();
        assertThat(publisher.aborted).isTrue();
        assertThat(checkpoints.saves()).hasSize(1); // its own, unchanged
        assertThat(warmUp.progress()).isEqualTo(new RelayStatus.WarmUp(RelayStatus.WarmUp.State.DONE, 3, 3));
        assertThat(warmUp.holdsReadiness(Instant.now())).isFalse();
    }

    @Test
    void readsNoMoreThanItsLimit() {
        source.append("orders", "k-1", "k-2", "k-3", "k-4", "k-5");
        checkpoints.save(TestTerm.RELAY, checkpointAt(0));
        ChangeSource oneAtATime = new ChangeSource() {
            @Override
            public ChangeFeed open(StartPosition start) {
                ChangeFeed all = source.open(start);
                return new ChangeFeed() {
                    private List<Change> left = List.of();

                    @Override
                    public List<Change> poll() {
                        if (left.isEmpty()) {
                            left = all.poll();
                        }
                        if (left.isEmpty()) {
                            return List.of();
                        }
                        List<Change> one = left.subList(0, 1);
                        left = left.subList(1, left.size());
                        return one;
                    }

                    @Override
                    public dev.ferry.core.relay.spi.ResumeToken position() {
                        return all.position();
                    }

                    @Override
                    public void close() {
                        all.close();
                    }
                };
            }
        };

        StandbyWarmUp warmUp = new StandbyWarmUp(TestTerm.RELAY, oneAtATime, checkpoints, () -> publisher,
            standingBy::get, new StandbyWarmUp.Limits(2, Duration.ofSeconds(10)));
        warmUp.run();

        assertThat(publisher.preparedKeys).containsExactly("k-1", "k-2");
        assertThat(warmUp.progress().state()).isEqualTo(RelayStatus.WarmUp.State.DONE);
    }

    @Test
    void doesNotStartWithoutACheckpointOrOnceLeading() {
        source.append("orders", "k-1");
        StandbyWarmUp noCheckpoint = warmUp(StandbyWarmUp.Limits.DEFAULT);
        noCheckpoint.run();
        assertThat(publisher.gets).hasValue(0);
        assertThat(noCheckpoint.progress()).isEqualTo(new RelayStatus.WarmUp(RelayStatus.WarmUp.State.DONE, 0, 0));

        checkpoints.save(TestTerm.RELAY, checkpointAt(0));
        standingBy.set(false);
        warmUp(StandbyWarmUp.Limits.DEFAULT).run();
        assertThat(publisher.gets).hasValue(0);
        assertThat(publisher.preparedKeys).isEmpty();
    }

    @Test
    void aFailingSourceOrUnpreparableRecordEndsOnlyTheRehearsal() {
        source.append("orders", "k-1", "k-2");
        checkpoints.save(TestTerm.RELAY, checkpointAt(0));
        sent.unpreparable.put("k-1", new IllegalArgumentException("bad type"));
        StandbyWarmUp warmUp = warmUp(StandbyWarmUp.Limits.DEFAULT);
        warmUp.run();
        assertThat(publisher.preparedKeys).containsExactly("k-2");
        assertThat(warmUp.progress()).isEqualTo(new RelayStatus.WarmUp(RelayStatus.WarmUp.State.DONE, 2, 1));

        ChangeSource failing = start -> {
            throw new IllegalStateException("MongoDB unreachable");
        };
        StandbyWarmUp failed = new StandbyWarmUp(TestTerm.RELAY, failing, checkpoints, () -> publisher,
            standingBy::get, StandbyWarmUp.Limits.DEFAULT);
        failed.run(); // does not throw
        assertThat(failed.progress().state()).isEqualTo(RelayStatus.WarmUp.State.DONE);
        assertThat(publisher.aborted).isTrue();
    }

    @Test
    void stopsReadingOnceTheInstanceLeads() {
        checkpoints.save(TestTerm.RELAY, checkpointAt(0));
        AtomicInteger polls = new AtomicInteger();
        ChangeSource endless = start -> new ChangeSource.ChangeFeed() {
            @Override
            public List<Change> poll() {
                int n = polls.incrementAndGet();
                if (n == 3) {
                    standingBy.set(false); // the lease is taken while it rehearses
                }
                return List.of(TestTerm.commit(n, "k-" + n));
            }

            @Override
            public dev.ferry.core.relay.spi.ResumeToken position() {
                return token(polls.get());
            }

            @Override
            public void close() {
            }
        };
        StandbyWarmUp warmUp = new StandbyWarmUp(TestTerm.RELAY, endless, checkpoints, () -> publisher,
            standingBy::get, StandbyWarmUp.Limits.DEFAULT);
        warmUp.run();
        assertThat(polls).hasValue(3);
        assertThat(warmUp.progress().state()).isEqualTo(RelayStatus.WarmUp.State.DONE);
    }

    private StandbyWarmUp warmUp(StandbyWarmUp.Limits limits) {
        return new StandbyWarmUp(TestTerm.RELAY, source, checkpoints, () -> {
            publisher.gets.incrementAndGet();
            return publisher;
        }, standingBy::get, limits);
    }

    private static Checkpoint checkpointAt(int position) {
        return new Checkpoint(token(position), Map.of(), position, 1, Instant.now());
    }

    /** Counts what is prepared, and whether it was aborted; sends through the wrapped publisher. */
    private static final class CountingPublisher implements RecordPublisher {
        final InMemoryPublisher delegate;
        final List<String> preparedKeys = new java.util.concurrent.CopyOnWriteArrayList<>();
        final AtomicInteger gets = new AtomicInteger();
        volatile boolean aborted;

        CountingPublisher(InMemoryPublisher delegate) {
            this.delegate = delegate;
        }

        @Override
        public Prepared prepare(FerryRecord record) {
            Prepared prepared = delegate.prepare(record);
            preparedKeys.add(record.key());
            return prepared;
        }

        @Override
        public CompletableFuture<Void> publish(Prepared record, Provenance provenance) {
            return delegate.publish(record, provenance);
        }

        @Override
        public CompletableFuture<Void> publishDeadLetter(Change.Refused malformed, Provenance provenance) {
            return delegate.publishDeadLetter(malformed, provenance);
        }

        @Override
        public void close() {
            delegate.close();
        }

        @Override
        public void abort() {
            aborted = true;
        }
    }
}
