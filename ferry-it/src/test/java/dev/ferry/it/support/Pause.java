package dev.ferry.it.support;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import dev.ferry.core.event.Event;
import dev.ferry.core.lease.Lease;
import dev.ferry.core.lease.LeaseStore;
import dev.ferry.core.relay.Change;
import dev.ferry.core.relay.RecordPublisher;

/**
 * Freezes one relay's (or projector's) lease renewals and publishing, as a stop-the-world pause (GC, SIGSTOP, a stalled
 * VM) would: calls block at the gate until {@link #resume()}.
 */
public final class Pause {

    private volatile CountDownLatch gate = new CountDownLatch(0);

    public void pause() {
        gate = new CountDownLatch(1);
    }

    public void resume() {
        gate.countDown();
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
            public java.util.Optional<Lease> read(String name) {
                await();
                return delegate.read(name);
            }

            @Override
            public java.util.List<Lease> readAll(String namePrefix) {
                await();
                return delegate.readAll(namePrefix);
            }

            @Override
            public java.util.Optional<Lease> tryAcquire(String name, String owner, java.util.Optional<Lease> seen) {
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

    public Supplier<RecordPublisher> publishers(Supplier<RecordPublisher> delegate) {
        return () -> {
            RecordPublisher publisher = delegate.get();
            return new RecordPublisher() {
                @Override
                public Prepared prepare(dev.ferry.core.event.FerryRecord record) {
                    return publisher.prepare(record);
                }

                @Override
                public java.util.concurrent.CompletableFuture<Void> publish(Prepared record, Provenance provenance) {
                    await();
                    return publisher.publish(record, provenance);
                }

                @Override
                public java.util.concurrent.CompletableFuture<Void> publishDeadLetter(Change.Malformed malformed,
                                                                                       Provenance provenance) {
                    await();
                    return publisher.publishDeadLetter(malformed, provenance);
                }

                @Override
                public void close() {
                    publisher.close();
                }

                @Override
                public void abort() {
                    publisher.abort();
                }
            };
        };
    }
}
