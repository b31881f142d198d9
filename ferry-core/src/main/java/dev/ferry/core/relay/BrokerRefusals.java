package dev.ferry.core.relay;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.ferry.core.event.FerryRecord;
import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.RecordRefused;

/**
 * Changes the broker refused for their content after they were sent (a limit below the one checked before sending),
 * remembered across the restart the refusal causes: read again, such a change is dead-lettered instead (its records
 * were refused), or dead-lettered without its document (its dead letter itself was refused). Nothing is ever sent
 * the same way twice, so a refusal costs one restart, never a loop. Bounded; the relay's worker thread only.
 */
final class BrokerRefusals {

    private static final int MAX_REMEMBERED = 1_000;

    private final Map<String, Refusal> byChange = new HashMap<>();

    /** Remembers that the broker refused {@code change}'s records, or its dead letter. */
    void remember(Change change, RecordRefused cause, boolean ofDeadLetter) {
        if (byChange.size() >= MAX_REMEMBERED) {
            byChange.clear(); // what is forgotten is refused again, once more
        }
        byChange.put(key(change), new Refusal(cause, ofDeadLetter));
    }

    /** What the broker refused of {@code change}, its records or its dead letter; null if nothing. */
    RecordRefused of(Change change) {
        Refusal refusal = byChange.isEmpty() ? null : byChange.get(key(change));
        return refusal == null ? null : refusal.cause();
    }

    /** Why the broker refused {@code change}'s dead letter; null if it did not. */
    RecordRefused ofDeadLetter(Change change) {
        Refusal refusal = byChange.isEmpty() ? null : byChange.get(key(change));
        return refusal == null || !refusal.ofDeadLetter() ? null : refusal.cause();
    }

    /**
     * A change's identity across terms: its position and, as copied changes share one position, its first record's
     * type and key.
     */
    private static String key(Change change) {
        List<? extends FerryRecord> records = change.records();
        return records.isEmpty() ? change.token().value()
            : change.token().value() + '\n' + records.get(0).type() + '\n' + records.get(0).key();
    }

    private record Refusal(RecordRefused cause, boolean ofDeadLetter) {
    }
}
