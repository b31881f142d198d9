package dev.ferry.core.relay;

import static dev.ferry.core.relay.PipelineFailure.at;

import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.ChangeSource;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.core.relay.spi.StartPosition;
import java.util.List;
import java.util.Set;

/**
 * A term's streaming: reads the change source from a start position, one batch ahead ({@link ReadAheadFeed}), and
 * sends each change through the {@link ChangeSender} under the backpressure of the term's {@link Acknowledgements}.
 * A source being copied while the others stream is left out of the stream, and its copy's batches are sent between
 * the stream's; the stream reopens whenever the set of sources left out changes. A source copied by watermarks stays
 * in the stream: its chunks are read between the stream's batches and published at their high watermarks
 * ({@link WatermarkCopies}).
 */
final class Streaming {

    private final Term term;
    private final ChangeSource source;
    private final Acknowledgements acks;
    private final ChangeSender sender;
    private final Copying copying;
    private final WatermarkCopies watermarks;
    private final String readerName;

    /** @param readerName the name of the thread that reads ahead */
    Streaming(Term term, ChangeSource source, Acknowledgements acks, ChangeSender sender, Copying copying,
              WatermarkCopies watermarks, String readerName) {
        this.term = term;
        this.source = source;
        this.acks = acks;
        this.sender = sender;
        this.copying = copying;
        this.watermarks = watermarks;
        this.readerName = readerName;
    }

    /**
     * Streams from {@code start} until leadership or the instance ends. A source being copied while the others
     * stream (added to the configuration, or asked for by an operator) is left out of the stream while its copy
     * is published between the stream's batches: its own changes would otherwise be published before older
     * versions of the same keys. Once its copy is acknowledged, its changes since the position noted before the
     * copy are caught up (that source alone, up to where the stream had got), then the stream goes on with it.
     * Nothing of the other sources is published twice or skipped.
     */
    void stream(StartPosition start) {
        copying.adoptAddedSources();
        StartPosition position = start;
        while (position != null && term.active()) {
            Set<String> held = copying.copiedAlongside();
            Switch next;
            try (ChangeSource.ChangeFeed feed = new ReadAheadFeed(copying.open(position,
                at -> source.open(at, held)), readerName)) {
                term.timeline().streamOpened();
                next = run(feed, held);
            }
            if (next != null && next.caughtUp() != null && !copying.catchUp(next.caughtUp(), next.at())) {
                return;
            }
            position = next == null ? null : new StartPosition.AfterToken(next.at());
        }
    }

    /**
     * Publishes the feed (and a batch of the held source's copy after each of its batches) until the set of held
     * sources changes.
     *
     * @return where to reopen and which source to catch up first, or null once leadership or the instance ended
     */
    private Switch run(ChangeSource.ChangeFeed feed, Set<String> held) {
        String copied = held.isEmpty() ? null : held.iterator().next();
        while (term.active()) {
            List<Change> changes = at(RelayStatus.Fault.SOURCE, feed::poll);
            for (Change change : changes) {
                if (!term.active()) {
                    return null; // deposed or stopping: publish nothing more
                }
                term.timeline().changeRead();
                if (change instanceof Change.Watermark mark) {
                    watermarks.reached(mark); // publishes nothing itself
                    continue;
                }
                watermarks.streamed(change);
                acks.awaitRoom();
                sender.send(change, change.token());
            }
            acks.drainAcknowledged();
            if (changes.isEmpty()) {
                acks.readToTheEnd(feed.position());
            }
            acks.maybeCheckpoint(false);
            watermarks.readNextChunk();
            if (copied != null && !copying.batchesSent(copied)) {
                copying.sendBatchAlongside(copied);
            } else if (copied != null && feed.position() != null && copying.streamReached(copied, feed.position())) {
                return acks.drainAll() ? new Switch(feed.position(), copied) : null;
            } else if (feed.position() != null && copying.takeRequest(feed.position())) {
                return new Switch(feed.position(), null);
            }
        }
        return null;
    }

    /** Where to reopen the stream after the set of sources left out of it changed, and which source to catch up. */
    private record Switch(ResumeToken at, String caughtUp) {
    }
}
