package dev.ferry.core.relay;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.lease.LeaseTiming;
import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.core.relay.spi.StartPosition;

/** A term of relay "parts" at epoch 7, for the parts' unit tests: the instance running and leading until told. */
final class TestTerm {

    static final String RELAY = "parts";
    static final long EPOCH = 7;

    final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicBoolean leading = new AtomicBoolean(true);
    final PipelineRestarts restarts = new PipelineRestarts(Duration.ofMillis(10), Duration.ofSeconds(1));
    final RelayProgress progress = new RelayProgress(restarts);
    final BrokerRefusals refusals = new BrokerRefusals();
    final Term term;

    /** A term that checkpoints a quiet source's position as often as published records. */
    TestTerm(int maxInFlight, Duration checkpointInterval) {
        this(maxInFlight, checkpointInterval, checkpointInterval);
    }

    TestTerm(int maxInFlight, Duration checkpointInterval, Duration idleCheckpointInterval) {
        this(new RelaySettings(RELAY, new StartPosition.Now(), HistoryLostPolicy.FAIL, maxInFlight, checkpointInterval,
            idleCheckpointInterval, Duration.ofMillis(10), LeaseTiming.DEFAULT));
    }

    TestTerm(RelaySettings settings) {
        term = new Term(settings, "i-1", EPOCH, new TakeoverTimeline(settings.name(), EPOCH), progress, refusals,
            running::get, leading::get);
    }

    /** A term that checkpoints whenever asked and bounds nothing the tests reach. */
    static TestTerm unbounded() {
        return new TestTerm(1_000, Duration.ZERO);
    }

    static ResumeToken token(int position) {
        return new ResumeToken(Integer.toString(position));
    }

    static int position(ResumeToken token) {
        return Integer.parseInt(token.value());
    }

    static Event event(String key) {
        return new Event("e-" + key, "patient", key, 1, "Registered", Instant.EPOCH, "{}", new EventMetadata(null, null));
    }

    static Change commit(int position, String... keys) {
        return new Change.Commit(token(position), java.util.Arrays.stream(keys).map(TestTerm::event).toList());
    }

    static List<String> keys(List<? extends Change> changes) {
        return changes.stream().flatMap(change -> change.records().stream()).map(record -> record.key()).toList();
    }
}
