package dev.ferry.it.support;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import dev.ferry.core.event.FerryRecord;
import dev.ferry.core.lease.Lease;
import dev.ferry.core.lease.LeaseStore;
import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.CheckpointStore;
import dev.ferry.core.relay.spi.RecordPublisher;

/**
 * Freezes one relay's (or projector's) lease calls, publishing and checkpoint writes, as a stop-the-world pause (GC,
 * SIGSTOP, a stalled VM) would: calls block at the gate until {@link #resume()}.
 * <p>
 * A zombie is only dangerous with work in flight, so the pause can also be armed to fall <em>inside</em> the next
 * checkpoint write or publish ({@link #pauseInNextCheckpointWrite()}, {@link #pauseInNextPublish()}): the relay has
 * checked its lease and been permitted to act, and the action has not reached MongoDB or Kafka yet. Whatever the
 * paused instance attempts once woken is recorded ({@link #lateCheckpointWrites()}, {@link #latePublishes()}).
 */
public final class Pause {

    private volatile CountDownLatch gate = new CountDownLatch(0);
    private volatile boolean resumed;
    private final AtomicBoolean inNextCheckpointWrite = new AtomicBoolean();
    private final AtomicBoolean inNextPublish = new AtomicBoolean();
    private final CountDownLatch frozen = new CountDownLatch(1);
    private final AtomicReference<CheckpointStore.Checkpoint> frozenCheckpoint = new AtomicReference<>();
    private final AtomicReference<RecordPublisher.Provenance> frozenPublish = new AtomicReference<>();
    private final AtomicReference<FerryRecord> frozenRecord = new AtomicReference<>();
    private final List<LateWrite> lateCheckpointWrites = new CopyOnWriteArrayList<>();
    private final List<LatePublish> latePublishes = new CopyOnWriteArrayList<>();

    /** A checkpoint write the paused instance made after waking: its epoch and sequence, and what the store said. */
    public record LateWrite(long epoch, long sequence, boolean refused, String outcome) {
    }

    /** A publish the paused instance made after waking, and its broker acknowledgement. */
    public record LatePublish(RecordPublisher.Provenance provenance, String eventKey, CompletableFuture<Void> acked) {
    }

    public void pause() {
        gate = new CountDownLatch(1);
    }

    public void resume() {
        resumed = true;
        gate.countDown();
    }

    /** Pauses inside the next checkpoint write, after the relay was permitted to write it and before it lands. */
    public void pauseInNextCheckpointWrite() {
        inNextCheckpointWrite.set(true);
    }

    /** Pauses inside the next publish, after the relay was permitted to send it and before it is sent. */
    public void pauseInNextPublish() {
        inNextPublish.set(true);
    }

    /** Waits until an armed pause has fallen, or fails saying so. */
    public void awaitFrozen(Duration timeout) throws InterruptedException {
        if (!frozen.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the armed pause did not fall within " + timeout.toSeconds() + " s: the relay "
                + "made no checkpoint write or publish");
        }
    }

    /** The checkpoint write the pause fell in, or null. */
    public CheckpointStore.Checkpoint frozenCheckpoint() {
        return frozenCheckpoint.get();
    }

    /** The provenance of the publish the pause fell in, or null. */
    public RecordPublisher.Provenance frozenPublish() {
        return frozenPublish.get();
    }

    /** The record of the publish the pause fell in, or null. */
    public FerryRecord frozenRecord() {
        return frozenRecord.get();
    }

    /** Checkpoint writes made after {@link #resume()} (the one the pause fell in first), in order. */
    public List<LateWrite> lateCheckpointWrites() {
        return List.copyOf(lateCheckpointWrites);
    }

    /** Publishes made after {@link #resume()} (the one the pause fell in first), in order. */
    public List<LatePublish> latePublishes() {
        return List.copyOf(latePublishes);
    }

    private void fallHere() {
        pause();
        frozen.countDown();
    }

    private void await() {
        try {
            if (!gate.await(5, TimeUnit.MINUTES)) {
                throw new IllegalStateException("paused for more than 5 minutes");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while paused", e);
        }
    }

    public LeaseStore leases(LeaseStore delegate) {
        return new LeaseStore() {
            @Override
            public Optional<Lease> read(String name) {
                await();
                return delegate.read(name);
            }

            @Override
            public List<Lease> readAll(String namePrefix) {
                await();
                return delegate.readAll(namePrefix);
            }

            @Override
            public Optional<Lease> tryAcquire(String name, String owner, Optional<Lease> seen) {
                await();
                return delegate.tryAcquire(name, owner, seen);
            }

            @Override
            public boolean renew(String name, String owner, long epoch) {
                await();
                return delegate.renew(name, owner, epoch);
            }

            @Override
            public void release(String name, String owner, long epoch) {
                delegate.release(name, owner, epoch);
            }

            @Override
            public void remove(Lease seen) {
                delegate.remove(seen);
            }
        };
    }

    public CheckpointStore checkpoints(CheckpointStore delegate) {
        return new CheckpointStore() {
            @Override
            public Optional<Checkpoint> load(String relayName) {
                await();
                return delegate.load(relayName);
            }

            @Override
            public void save(String relayName, Checkpoint checkpoint) {
                if (inNextCheckpointWrite.compareAndSet(true, false)) {
                    frozenCheckpoint.set(checkpoint);
                    fallHere();
                }
                await();
                if (!resumed) {
                    delegate.save(relayName, checkpoint);
                    return;
                }
                try {
                    delegate.save(relayName, checkpoint);
                    lateCheckpointWrites.add(new LateWrite(checkpoint.epoch(), checkpoint.sequence(), false, "written"));
                } catch (CheckpointStore.Fenced e) {
                    lateCheckpointWrites.add(new LateWrite(checkpoint.epoch(), checkpoint.sequence(), true,
                        e.getMessage()));
                    throw e;
                }
            }

            @Override
            public boolean commitsTheRecordsSent() {
                return delegate.commitsTheRecordsSent();
            }

            @Override
            public Set<String> copyRequests(String relayName) {
                await();
                return delegate.copyRequests(relayName);
            }

            @Override
            public void requestCopy(String relayName, String source) {
                delegate.requestCopy(relayName, source);
            }

            @Override
            public void clearCopyRequest(String relayName, String source) {
                await();
                delegate.clearCopyRequest(relayName, source);
            }
        };
    }

    public Supplier<RecordPublisher> publishers(Supplier<RecordPublisher> delegate) {
        return () -> {
            RecordPublisher publisher = delegate.get();
            return new ForwardingRecordPublisher(publisher) {
                /**
                 * A transport's own checkpoints (Kafka's exactly-once mode: the commit) pause as the store's do; the
                 * relay's store is not wrapped twice.
                 */
                @Override
                public CheckpointStore checkpoints(String relay, CheckpointStore store) {
                    CheckpointStore termStore = publisher.checkpoints(relay, store);
                    return termStore == store ? store : Pause.this.checkpoints(termStore);
                }

                @Override
                public CompletableFuture<Void> publish(Prepared record, Provenance provenance) {
                    if (inNextPublish.compareAndSet(true, false)) {
                        frozenPublish.set(provenance);
                        frozenRecord.set(record.record());
                        fallHere();
                    }
                    await();
                    CompletableFuture<Void> acked = publisher.publish(record, provenance);
                    if (resumed) {
                        latePublishes.add(new LatePublish(provenance, record.record().type() + "/"
                            + record.record().key(), acked));
                    }
                    return acked;
                }

                /**
                 * A woken instance's term ends right after its late sends, and aborting the producer fails what the
                 * broker has not acknowledged yet: waits for them first (bounded), so that the case under test, a late
                 * record reaching the broker, happens in every run instead of when the broker wins the race.
                 */
                @Override
                public void abort() {
                    if (resumed) {
                        for (LatePublish late : latePublishes) {
                            try {
                                late.acked().get(10, TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                break;
                            } catch (Exception e) {
                                // failed or slow: the test reports what reached the broker
                            }
                        }
                    }
                    publisher.abort();
                }

                @Override
                public CompletableFuture<Void> publishDeadLetter(Change.Refused malformed, Provenance provenance) {
                    await();
                    CompletableFuture<Void> acked = publisher.publishDeadLetter(malformed, provenance);
                    if (resumed) {
                        latePublishes.add(new LatePublish(provenance, "dead letter", acked));
                    }
                    return acked;
                }
            };
        };
    }
}
