package dev.ferry.core.relay;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.ferry.core.event.FerryRecord;
import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.RecordPublisher;
import dev.ferry.core.relay.spi.RecordRefused;

/**
 * A publisher that records what it sends, acknowledges at once unless told to hold a key's acknowledgement, and
 * refuses what it is told to: in {@link #prepare} (no I/O) or at once on sending.
 */
final class InMemoryPublisher implements RecordPublisher {

    /** A record sent, and who sent it at which position of the relay's output. */
    record Sent(String key, Provenance provenance, FerryRecord record) {
    }

    /** A dead letter sent. */
    record DeadLetter(Change.Refused malformed, Provenance provenance) {
    }

    final List<Sent> sent = new CopyOnWriteArrayList<>();
    final List<DeadLetter> deadLetters = new CopyOnWriteArrayList<>();
    /** Keys whose record cannot be prepared, and why. */
    final Map<String, RuntimeException> unpreparable = new ConcurrentHashMap<>();
    /** Keys whose record the transport refuses at once on sending. */
    final Set<String> refusedAtOnce = ConcurrentHashMap.newKeySet();
    /** Keys whose acknowledgement waits for {@link #ack} or {@link #fail}. */
    final Set<String> held = ConcurrentHashMap.newKeySet();
    private final Map<String, CompletableFuture<Void>> pending = new ConcurrentHashMap<>();

    List<String> sentKeys() {
        return sent.stream().map(Sent::key).toList();
    }

    void ack(String key) {
        pending.remove(key).complete(null);
    }

    void fail(String key, Throwable cause) {
        pending.remove(key).completeExceptionally(cause);
    }

    @Override
    public Prepared prepare(FerryRecord record) {
        RuntimeException failure = unpreparable.get(record.key());
        if (failure != null) {
            throw failure;
        }
        return () -> record;
    }

    @Override
    public CompletableFuture<Void> publish(Prepared record, Provenance provenance) {
        String key = record.record().key();
        if (refusedAtOnce.contains(key)) {
            return CompletableFuture.failedFuture(new RecordRefused("the topic of " + key + " collides", false));
        }
        sent.add(new Sent(key, provenance, record.record()));
        if (held.contains(key)) {
            CompletableFuture<Void> ack = new CompletableFuture<>();
            pending.put(key, ack);
            return ack;
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> publishDeadLetter(Change.Refused malformed, Provenance provenance) {
        deadLetters.add(new DeadLetter(malformed, provenance));
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close() {
    }

    @Override
    public void abort() {
    }
}
