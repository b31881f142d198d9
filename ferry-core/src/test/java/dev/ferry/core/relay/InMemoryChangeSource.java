package dev.ferry.core.relay;

import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.ChangeSource;
import dev.ferry.core.relay.spi.HistoryLost;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.core.relay.spi.StartPosition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;

/**
 * A change source over a list of changes of named sources (one event each, of the key given); position n is right
 * after the n-th change, so positions order by number. Positions before {@link #retainedFrom} are lost history.
 */
final class InMemoryChangeSource implements ChangeSource {

    private record Entry(String source, Change change) {
    }

    private final List<Entry> changes = new CopyOnWriteArrayList<>();
    volatile int retainedFrom;

    /** Appends one change of {@code source} per key. */
    void append(String source, String... keys) {
        synchronized (changes) {
            for (String key : keys) {
                changes.add(new Entry(source, TestTerm.commit(changes.size() + 1, key)));
            }
        }
    }

    /** Appends the change {@code made} makes at the next position. */
    void appendMade(String source, java.util.function.IntFunction<Change> made) {
        synchronized (changes) {
            changes.add(new Entry(source, made.apply(changes.size() + 1)));
        }
    }

    int size() {
        return changes.size();
    }

    @Override
    public ChangeFeed open(StartPosition start) {
        return open(start, Set.of());
    }

    @Override
    public ChangeFeed open(StartPosition start, Set<String> excluded) {
        return feed(start, entry -> !excluded.contains(entry.source()));
    }

    @Override
    public ChangeFeed openOnly(StartPosition start, String source) {
        return feed(start, entry -> entry.source().equals(source));
    }

    @Override
    public int compare(ResumeToken a, ResumeToken b) {
        return Integer.compare(TestTerm.position(a), TestTerm.position(b));
    }

    private ChangeFeed feed(StartPosition start, java.util.function.Predicate<Entry> read) {
        int from = start instanceof StartPosition.AfterToken after ? TestTerm.position(after.token())
            : start instanceof StartPosition.Earliest ? 0 : changes.size();
        if (from < retainedFrom) {
            throw new HistoryLost("position " + from + " is no longer retained", null);
        }
        return new ChangeFeed() {
            private int next = from;

            @Override
            public List<Change> poll() {
                int end = changes.size();
                if (next >= end) {
                    LockSupport.parkNanos(Duration.ofMillis(2).toNanos()); // a real feed's idle wait
                    return List.of();
                }
                List<Change> batch = new ArrayList<>();
                for (Entry entry : changes.subList(next, end)) {
                    if (read.test(entry)) {
                        batch.add(entry.change());
                    }
                }
                next = end;
                return batch;
            }

            @Override
            public ResumeToken position() {
                return TestTerm.token(next);
            }

            @Override
            public void close() {
            }
        };
    }
}
