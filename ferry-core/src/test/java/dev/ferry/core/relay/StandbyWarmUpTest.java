package dev.ferry.core.relay;

import static dev.ferry.core.relay.TestTerm.token;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.ChangeSource;
import dev.ferry.core.relay.spi.CheckpointStore.Checkpoint;
import dev.ferry.core.relay.spi.ResumeToken;

/**
 * A standby's rehearsal of its takeover reads what follows the checkpoint and encodes it, touches no transport,
 * checkpoints nothing, stays within its bounds, stops once the instance leads, and never fails the relay.
 */
@Timeout(20)
class StandbyWarmUpTest {

    private final InMemoryChangeSource source = new InMemoryChangeSource();
    private final InMemoryCheckpointStore checkpoints = new InMemoryCheckpointStore();
    private final AtomicBoolean standingBy = new AtomicBoolean(true);

    @Test
    void encodesTheChangesAfterTheCheckpointAndCheckpointsNothing() {
        source.append("orders", "k-1", "k-2", "k-3", "k-4");
        checkpoints.save(TestTerm.RELAY, checkpointAt(1));

        StandbyWarmUp warmUp = warmUp(source, StandbyWarmUp.Limits.DEFAULT);
        warmUp.run();

        assertThat(warmUp.progress()).isEqualTo(new RelayStatus.WarmUp(RelayStatus.WarmUp.State.DONE, 3, 3));
        assertThat(checkpoints.saves()).hasSize(1); // its own, unchanged
        assertThat(warmUp.holdsReadiness(Instant.now())).isFalse();
    }

    @Test
    void holdsReadinessFromTheMomentItBegins() {
        StandbyWarmUp warmUp = warmUp(source, StandbyWarmUp.Limits.DEFAULT);
        assertThat(warmUp.holdsReadiness(Instant.now())).isFalse();
        warmUp.begin();
        assertThat(warmUp.holdsReadiness(Instant.now())).isTrue();
        assertThat(warmUp.holdsReadiness(Instant.now().plusSeconds(60))).as("bounded in time").isFalse();
    }

    @Test
    void anInstanceNotYetSureItStandsByIsNotReadyUntilItLeads() {
        StandbyWarmUp warmUp = warmUp(source, StandbyWarmUp.Limits.DEFAULT);
        warmUp.expect();
        assertThat(warmUp.holdsReadiness(Instant.now())).isTrue();
        assertThat(warmUp.holdsReadiness(Instant.now().plusSeconds(60))).as("bounded in time").isFalse();
        warmUp.skip();
        assertThat(warmUp.holdsReadiness(Instant.now())).isFalse();
        assertThat(warmUp.progress().state()).isEqualTo(RelayStatus.WarmUp.State.NOT_STARTED);
    }

    @Test
    void readsNoMoreThanItsLimit() {
        source.append("orders", "k-1", "k-2", "k-3", "k-4", "k-5");
        checkpoints.save(TestTerm.RELAY, checkpointAt(0));
        ChangeSource oneAtATime = start -> {
            ChangeSource.ChangeFeed all = source.open(start);
            return new ChangeSource.ChangeFeed() {
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
                public ResumeToken position() {
                    return all.position();
                }

                @Override
                public void close() {
                    all.close();
                }
            };
        };

        StandbyWarmUp warmUp = warmUp(oneAtATime, new StandbyWarmUp.Limits(2, Duration.ofSeconds(10)));
        warmUp.run();

        assertThat(warmUp.progress()).isEqualTo(new RelayStatus.WarmUp(RelayStatus.WarmUp.State.DONE, 2, 2));
    }

    @Test
    void doesNotStartWithoutACheckpointOrOnceLeading() {
        source.append("orders", "k-1");
        StandbyWarmUp noCheckpoint = warmUp(source, StandbyWarmUp.Limits.DEFAULT);
        noCheckpoint.run();
        assertThat(noCheckpoint.progress()).isEqualTo(new RelayStatus.WarmUp(RelayStatus.WarmUp.State.DONE, 0, 0));

        checkpoints.save(TestTerm.RELAY, checkpointAt(0));
        standingBy.set(false);
        StandbyWarmUp leading = warmUp(source, StandbyWarmUp.Limits.DEFAULT);
        leading.run();
        assertThat(leading.progress()).isEqualTo(new RelayStatus.WarmUp(RelayStatus.WarmUp.State.DONE, 0, 0));
    }

    @Test
    void aFailingSourceEndsOnlyTheRehearsal() {
        checkpoints.save(TestTerm.RELAY, checkpointAt(0));
        ChangeSource failing = start -> {
            throw new IllegalStateException("MongoDB unreachable");
        };
        StandbyWarmUp failed = warmUp(failing, StandbyWarmUp.Limits.DEFAULT);
        failed.run(); // does not throw
        assertThat(failed.progress().state()).isEqualTo(RelayStatus.WarmUp.State.DONE);
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
            public ResumeToken position() {
                return token(polls.get());
            }

            @Override
            public void close() {
            }
        };
        StandbyWarmUp warmUp = warmUp(endless, StandbyWarmUp.Limits.DEFAULT);
        warmUp.run();
        assertThat(polls).hasValue(3);
        assertThat(warmUp.progress().state()).isEqualTo(RelayStatus.WarmUp.State.DONE);
    }

    private StandbyWarmUp warmUp(ChangeSource from, StandbyWarmUp.Limits limits) {
        return new StandbyWarmUp(TestTerm.RELAY, from, checkpoints, standingBy::get, limits);
    }

    private static Checkpoint checkpointAt(int position) {
        return new Checkpoint(token(position), Map.of(), position, 1, Instant.now());
    }
}
