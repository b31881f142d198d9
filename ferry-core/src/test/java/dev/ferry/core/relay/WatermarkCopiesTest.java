package dev.ferry.core.relay;

import static dev.ferry.core.relay.TestTerm.token;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.event.FerryRecord;
import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.CheckpointStore.CopyProgress;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.core.relay.spi.SourceCopy;
import dev.ferry.core.relay.spi.StartPosition;

/**
 * A copy by watermarks, against a source whose documents change while each chunk is read: every document is
 * published, the copied source keeps streaming, and no key's published states ever go back — a change streamed
 * before the low watermark is followed by the chunk's newer read, a change inside the window replaces the chunk's
 * document, a change after the high watermark follows it.
 */
@Timeout(20)
class WatermarkCopiesTest {

    private static final String SOURCE = "patients";

    private final TestTerm term = TestTerm.unbounded();
    private final InMemoryChangeSource stream = new InMemoryChangeSource();
    private final StateCollection collection = new StateCollection();
    private final InMemoryCheckpointStore checkpoints = new InMemoryCheckpointStore();
    private final InMemoryPublisher publisher = new InMemoryPublisher();
    private final AtomicReference<RuntimeException> ended = new AtomicReference<>();
    private Thread worker;

    @AfterEach
    void stop() throws InterruptedException {
        term.running.set(false);
        if (worker != null) {
            worker.join(Duration.ofSeconds(5).toMillis());
        }
    }

    @Test
    void documentsChangedAroundEachChunkNeverGoBackAndEveryOneIsPublished() {
        for (char key = 'a'; key <= 'l'; key++) {
            collection.store(String.valueOf(key), 1);
        }
        collection.write("b", 2); // streamed before the copy begins: the chunk reads it again, never older
        // Between the low watermark and the read: the read sees 2, the stream carries 2; the chunk drops its own.
        collection.beforeRead.put("c", 2);
        // Between the read and the high watermark: the chunk read 1, the stream carries 2; the chunk must drop its 1.
        collection.afterRead.put("d", 2);
        collection.afterRead.put("h", 3); // in the second chunk: read at 1, changed to 3 before its high watermark
        copy(new CopyProgress("", 0, false));

        await().until(() -> copyComplete());
        collection.write("a", 5); // after the copy: streamed on as ever
        await().until(() -> published().getOrDefault("a", List.of()).contains(5L));

        Map<String, List<Long>> published = published();
        published.forEach((key, states) -> assertThat(states).as("states of %s", key).isSorted());
        collection.state.forEach((key, state) -> assertThat(published.get(key)).as(key).last().isEqualTo((long) state));
        assertThat(published.get("d")).as("the chunk's older read of d is dropped").containsExactly(2L);
        assertThat(published.get("c")).containsExactly(2L);
        assertThat(published.get("h")).containsExactly(3L);
        assertThat(checkpoints.last().copies().get(SOURCE)).isEqualTo(new CopyProgress("l", 12 - 3, true));
        assertThat(ended.get()).isNull();
    }

    @Test
    void aSuccessorContinuesAfterTheLastChunkCheckpointedAndPassesOverWatermarksNotItsOwn() {
        for (char key = 'a'; key <= 'f'; key++) {
            collection.store(String.valueOf(key), 1);
        }
        // A predecessor's watermarks, still in the stream: they open and close nothing.
        stream.appendMade("ferry_watermarks", at -> new Change.Watermark(token(at), "parts/other/6/1/low"));
        stream.appendMade("ferry_watermarks", at -> new Change.Watermark(token(at), "parts/other/6/1/high"));
        copy(new CopyProgress("c", 3, false));

        await().until(() -> copyComplete());
        assertThat(published()).containsOnlyKeys("d", "e", "f");
        assertThat(checkpoints.last().copies().get(SOURCE)).isEqualTo(new CopyProgress("f", 6, true));
    }

    @Test
    void anUpdateStreamedBeforeTheLowWatermarkButReadAfterTheChunkNeverTakesItsKeyBack() {
        for (char key = 'a'; key <= 'd'; key++) {
            collection.store(String.valueOf(key), 1);
        }
        // b changed at t1, before the low watermark, and again at t3, after the high one; the stream reads t1's
        // event after the chunk with the update lookup's document: t3's state, newer than the chunk's read.
        collection.lookedUpLate.put("b", 3);
        copy(new CopyProgress("", 0, false));

        await().until(() -> copyComplete());
        // at least two: an older state published after the newer one fails the assertion below, not this wait
        await().until(() -> published().getOrDefault("b", List.of()).size() >= 2);
        Map<String, List<Long>> published = published();
        published.forEach((key, states) -> assertThat(states).as("states of %s", key).isSorted());
        assertThat(published.get("b")).containsExactly(3L, 3L);
    }

    @Test
    void aTermRestartedInTheSameEpochWritesWatermarksOfItsOwn() {
        collection.store("a", 1);
        for (int term = 0; term < 2; term++) {
            Acknowledgements acks = new Acknowledgements(this.term.term, checkpoints, 0, token(0),
                Map.of(SOURCE, new CopyProgress("", 0, false)));
            new WatermarkCopies(this.term.term, collection, acks, new ChangeSender(this.term.term, publisher, acks))
                .readNextChunk();
        }
        assertThat(collection.marksWritten).hasSize(2);
        assertThat(collection.marksWritten.get(1).low()).isNotEqualTo(collection.marksWritten.get(0).low());
        assertThat(collection.marksWritten.get(1).high()).isNotEqualTo(collection.marksWritten.get(0).high());
    }

    private boolean copyComplete() {
        return checkpoints.load(TestTerm.RELAY).map(c -> c.copies().get(SOURCE).complete()).orElse(false);
    }

    /** Each key's published states (an event's version), in the order sent. */
    private Map<String, List<Long>> published() {
        Map<String, List<Long>> states = new LinkedHashMap<>();
        publisher.sent.forEach(sent -> states.computeIfAbsent(sent.key(), key -> new ArrayList<>())
            .add(((Event) sent.record()).version()));
        return states;
    }

    private void copy(CopyProgress progress) {
        int position = 0; // the stream from its start: a change written before the copy is streamed, then copied
        Acknowledgements acks = new Acknowledgements(term.term, checkpoints, 0, token(position),
            Map.of(SOURCE, progress));
        ChangeSender sender = new ChangeSender(term.term, publisher, acks);
        WatermarkCopies watermarks = new WatermarkCopies(term.term, collection, acks, sender);
        Copying copying = new Copying(term.term, collection, stream, checkpoints, acks, sender, watermarks);
        Streaming streaming = new Streaming(term.term, stream, acks, sender, copying, watermarks, "watermarks-test");
        worker = new Thread(() -> {
            try {
                streaming.stream(new StartPosition.AfterToken(token(position)));
            } catch (RuntimeException e) {
                ended.set(e);
            }
        }, "watermarks-test");
        worker.start();
    }

    private static Change change(int at, String key, long state) {
        return new Change.Commit(token(at), List.of(new Event("e-" + key + "-" + state, "patient", key, state,
            "Changed", Instant.EPOCH, "{}", new EventMetadata(null, null))));
    }

    /**
     * One collection of keyed states, its changes streamed, copied two documents a chunk; writes the test plans
     * land between a chunk's low watermark and its read, or between its read and its high watermark.
     */
    private final class StateCollection implements SourceCopy {

        final NavigableMap<String, Integer> state = new ConcurrentSkipListMap<>();
        final Map<String, Integer> beforeRead = new LinkedHashMap<>();
        final Map<String, Integer> afterRead = new LinkedHashMap<>();
        /** Changed before the low watermark, and again after the high one: the first event carries the second state. */
        final Map<String, Integer> lookedUpLate = new LinkedHashMap<>();
        final List<Watermarks> marksWritten = new ArrayList<>();

        void store(String key, int value) {
            state.put(key, value);
        }

        void write(String key, int value) {
            state.put(key, value);
            stream.appendMade(SOURCE, at -> change(at, key, value));
        }

        @Override
        public List<String> sources() {
            return List.of(SOURCE);
        }

        @Override
        public boolean copiesByWatermarks(String source) {
            return true;
        }

        @Override
        public CopyBatch next(String source, String position, ResumeToken stamp, ResumeToken notedAt, int max) {
            throw new AssertionError("a copy by watermarks reads chunks, never batches");
        }

        @Override
        public Chunk readChunk(String source, String position, int maxDocuments, Watermarks marks) {
            marksWritten.add(marks);
            NavigableMap<String, Integer> after = position.isEmpty() ? state : state.tailMap(position, false);
            List<String> keys = after.keySet().stream().limit(2).toList();
            Map<String, Integer> late = new LinkedHashMap<>();
            keys.stream().filter(lookedUpLate::containsKey).forEach(key -> late.put(key, lookedUpLate.remove(key)));
            late.forEach((key, value) -> stream.appendMade(SOURCE, at -> change(at, key, value)));
            stream.appendMade("ferry_watermarks", at -> new Change.Watermark(token(at), marks.low()));
            keys.stream().filter(beforeRead::containsKey).forEach(key -> write(key, beforeRead.remove(key)));
            Map<String, Integer> read = new LinkedHashMap<>();
            keys.forEach(key -> read.put(key, state.get(key)));
            keys.stream().filter(afterRead::containsKey).forEach(key -> write(key, afterRead.remove(key)));
            stream.appendMade("ferry_watermarks", at -> new Change.Watermark(token(at), marks.high()));
            late.forEach(this::write);
            boolean done = keys.isEmpty() || after.lastKey().equals(keys.get(keys.size() - 1));
            return new Chunk() {
                private final Set<String> dropped = new HashSet<>();

                @Override
                public void changedInWindow(FerryRecord record) {
                    if (read.containsKey(record.key())) {
                        dropped.add(record.key());
                    }
                }

                @Override
                public List<Change> changes(ResumeToken highWatermark) {
                    List<Change> changes = new ArrayList<>();
                    read.forEach((key, value) -> {
                        if (!dropped.contains(key)) {
                            changes.add(change(TestTerm.position(highWatermark), key, value));
                        }
                    });
                    return changes;
                }

                @Override
                public String position() {
                    return keys.isEmpty() ? position : keys.get(keys.size() - 1);
                }

                @Override
                public boolean done() {
                    return done;
                }
            };
        }
    }
}
