package dev.ferry.it.replica;

import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

import dev.ferry.core.event.FerryRecord;
import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.RecordPublisher;

/**
 * A broker slow to acknowledge, for the relay: while {@link #hold() held}, records are sent and land in the topics as
 * usual, but the relay hears of their acknowledgement only once {@link #release() released}. It publishes on and
 * cannot checkpoint past what it has not heard acknowledged: records published and not checkpointed, for certain.
 */
final class HeldAcknowledgements {

    private volatile CompletableFuture<Void> open = CompletableFuture.completedFuture(null);

    void hold() {
        open = new CompletableFuture<>();
    }

    void release() {
        open.complete(null);
    }

    Supplier<RecordPublisher> around(Supplier<RecordPublisher> publishers) {
        return () -> held(publishers.get());
    }

    private RecordPublisher held(RecordPublisher publisher) {
        return new RecordPublisher() {
            @Override
            public Prepared prepare(FerryRecord record) {
                return publisher.prepare(record);
            }

            @Override
            public CompletableFuture<Void> publish(Prepared record, Provenance provenance) {
                CompletableFuture<Void> gate = open;
                return publisher.publish(record, provenance).thenCombine(gate, (sent, released) -> null);
            }

            @Override
            public CompletableFuture<Void> publishDeadLetter(Change.Refused malformed, Provenance provenance) {
                CompletableFuture<Void> gate = open;
                return publisher.publishDeadLetter(malformed, provenance).thenCombine(gate, (sent, released) -> null);
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
    }
}
