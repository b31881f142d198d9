package dev.ferry.core.relay;

import static dev.ferry.core.relay.TestTerm.token;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.relay.spi.CheckpointStore.CopyProgress;
import dev.ferry.core.relay.spi.SourceCopy;
import dev.ferry.core.relay.spi.StartPosition;

/**
 * Streaming: every change after the start position, in order, once; nothing more once the term ends; a source being
 * copied alongside is left out of the stream until its copy and its own changes since are published.
 */
@Timeout(20)
class StreamingTest {

    private TestTerm term = TestTerm.unbounded();
    private final InMemoryChangeSource source = new InMemoryChangeSource();
    private final InMemorySourceCopy copy = new InMemorySourceCopy(2).with("orders", "o-1", "o-2", "o-3", "o-4", "o-5");
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
    void streamsEveryChangeAfterTheStartPositionInOrderAndCheckpointsWhatIsAcknowledged() {
        source.append("orders", "k-1", "k-2", "k-3");
        stream(1, SourceCopy.NONE, Map.of(), new StartPosition.AfterToken(token(1)));

        await().until(() -> publisher.sentKeys().size() == 2);
        source.append("orders", "k-4");
        await().until(() -> checkpoints.load(TestTerm.RELAY).map(c -> c.token().equals(token(4))).orElse(false));
        assertThat(publisher.sentKeys()).containsExactly("k-2", "k-3", "k-4");
        assertThat(publisher.sent).extracting(sent -> sent.provenance().sequence()).containsExactly(1L, 2L, 3L);
        assertThat(checkpoints.last().sequence()).isEqualTo(3);
    }

    @Test
    void sendsNothingMoreOnceDeposedWhileWaitingForRoom() {
        term = new TestTerm(1, Duration.ZERO);
        publisher.held.add("k-1");
        source.append("orders", "k-1", "k-2");
        stream(0, SourceCopy.NONE, Map.of(), new StartPosition.AfterToken(token(0)));

        await().until(() -> publisher.sentKeys().contains("k-1"));
        term.leading.set(false);
        await().until(() -> !worker.isAlive());

        if (ended.get() != null) {
            assertThat(ended.get()).isInstanceOf(TermEnded.class); // deposed while waiting for room: not a failure
        }
        assertThat(publisher.sentKeys()).containsExactly("k-1");
        assertThat(checkpoints.saves()).isEmpty();
    }

    @Test
    void aSourceCopiedAlongsideIsLeftOutOfTheStreamUntilItsCopyAndItsOwnChangesSinceArePublished() {
        source.append("others", "x-1");
        source.append("orders", "o-6"); // made during the copy: after its documents, never before
        source.append("others", "x-2");
        stream(0, copy, Map.of("orders", new CopyProgress("", 0, false, token(0))),
            new StartPosition.AfterToken(token(0)));

        await().until(() -> publisher.sentKeys().contains("o-6"));
        source.append("orders", "o-7");
        source.append("others", "x-3");
        await().until(() -> publisher.sentKeys().containsAll(List.of("o-7", "x-3")));

        List<String> sent = publisher.sentKeys();
        assertThat(sent).containsExactlyInAnyOrder("x-1", "x-2", "x-3", "o-1", "o-2", "o-3", "o-4", "o-5", "o-6", "o-7");
        assertThat(sent.stream().filter(key -> key.startsWith("o-")))
            .containsExactly("o-1", "o-2", "o-3", "o-4", "o-5", "o-6", "o-7");
        assertThat(sent.indexOf("x-1")).isLessThan(sent.indexOf("x-2"));
        await().until(() -> checkpoints.load(TestTerm.RELAY)
            .map(checkpoint -> checkpoint.copies().get("orders").complete()).orElse(false));
    }

    private void stream(int position, SourceCopy sourceCopy, Map<String, CopyProgress> copies, StartPosition start) {
        Acknowledgements acks = new Acknowledgements(term.term, checkpoints, 0, token(position), copies);
        ChangeSender sender = new ChangeSender(term.term, publisher, acks);
        WatermarkCopies watermarks = new WatermarkCopies(term.term, sourceCopy, acks, sender);
        Copying copying = new Copying(term.term, sourceCopy, source, checkpoints, acks, sender, watermarks);
        Streaming streaming = new Streaming(term.term, source, acks, sender, copying, watermarks,
            "streaming-test-reader");
        worker = new Thread(() -> {
            try {
                streaming.stream(start);
            } catch (RuntimeException e) {
                ended.set(e);
            }
        }, "streaming-test");
        worker.start();
    }
}
