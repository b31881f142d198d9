package dev.ferry.core.relay;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.ChangeSource;
import dev.ferry.core.relay.spi.ResumeToken;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a feed one batch ahead on a thread of its own, so that fetching and decoding the next batch (a round trip to
 * MongoDB and the driver's decoding) overlaps publishing the current one instead of following it. Each batch travels
 * with the position the inner feed reported right after it, so {@link #position()} still covers exactly what was
 * returned. A read failure is rethrown by the next {@link #poll()}, as it was thrown.
 */
final class ReadAheadFeed implements ChangeSource.ChangeFeed {

    private static final Logger log = LoggerFactory.getLogger(ReadAheadFeed.class);
    /** How long one poll waits for the reader before returning nothing, so the relay re-checks its lease meanwhile. */
    private static final long POLL_WAIT_MILLIS = 100;
    /** How long close waits for the reader to finish its current read (a real server's getMore waits up to 0.5 s). */
    private static final long CLOSE_WAIT_MILLIS = 5_000;

    private final ChangeSource.ChangeFeed inner;
    /** One batch ahead: enough to overlap reading with publishing, and bounded (at most two batches held). */
    private final BlockingQueue<Read> ahead = new ArrayBlockingQueue<>(1);
    private final Thread reader;
    private volatile boolean closed;
    /** The position of the last read handed over; touched by the reader only. */
    private ResumeToken handedPosition;
    private ResumeToken position;
    private RuntimeException failure;

    ReadAheadFeed(ChangeSource.ChangeFeed inner, String threadName) {
        this.inner = inner;
        this.reader = new Thread(this::read, threadName);
        reader.setDaemon(true);
        reader.start();
    }

    @Override
    public List<Change> poll() {
        if (failure != null) {
            throw failure;
        }
        Read next;
        try {
            next = ahead.poll(POLL_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the change feed", e);
        }
        if (next == null) {
            return List.of();
        }
        if (next.failure() != null) {
            failure = next.failure();
            throw failure;
        }
        position = next.position();
        return next.changes();
    }

    @Override
    public ResumeToken position() {
        return position;
    }

    /**
     * Stops the reader and waits for it to close the inner feed, unless the calling thread is interrupted (a killed
     * relay): then the reader closes it on its own within one read.
     */
    @Override
    public void close() {
        closed = true;
        ahead.clear(); // unblocks a reader waiting to hand over a batch nobody will take
        try {
            reader.join(CLOSE_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (reader.isAlive()) {
            log.warn("change feed reader {} still in a read after {} ms; it closes the feed when the read returns",
                reader.getName(), CLOSE_WAIT_MILLIS);
        }
    }

    private void read() {
        try {
            while (!closed) {
                Read next;
                try {
                    List<Change> changes = inner.poll();
                    ResumeToken after = inner.position();
                    if (changes.isEmpty() && Objects.equals(after, handedPosition)) {
                        continue; // nothing new to hand over: the relay's own poll times out and checks its lease
                    }
                    next = new Read(changes, after, null);
                } catch (RuntimeException e) {
                    next = new Read(List.of(), null, e);
                }
                while (!closed && !ahead.offer(next, POLL_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                    // the relay is busy with the previous batch (or waiting for acknowledgements)
                }
                if (next.failure() != null) {
                    return;
                }
                handedPosition = next.position();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            inner.close(); // the reading thread is the only one that ever touches the inner feed
        }
    }

    /** One inner poll: its changes and the position after them, or the failure it threw. */
    private record Read(List<Change> changes, ResumeToken position, RuntimeException failure) {
    }
}
