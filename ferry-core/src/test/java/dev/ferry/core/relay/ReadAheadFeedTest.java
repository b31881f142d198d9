package dev.ferry.core.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.ChangeSource;
import dev.ferry.core.relay.spi.HistoryLost;
import dev.ferry.core.relay.spi.ResumeToken;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ReadAheadFeedTest {

    private final List<ReadAheadFeed> opened = new ArrayList<>();

    @AfterEach
    void closeFeeds() {
        opened.forEach(ReadAheadFeed::close);
    }

    @Test
    void returnsBatchesInOrderEachWithThePositionReportedRightAfterIt() {
        NumberedFeed inner = new NumberedFeed(Integer.MAX_VALUE);
        ReadAheadFeed feed = open(inner);

        List<String> seen = new ArrayList<>();
        for (int i = 1; i <= 50; i++) {
            List<Change> batch = pollUntilNotEmpty(feed);
            seen.add(batch.get(0).token().value());
            assertThat(feed.position()).isEqualTo(new ResumeToken("after-" + i));
        }
        assertThat(seen).isEqualTo(java.util.stream.IntStream.rangeClosed(1, 50).mapToObj(i -> "change-" + i).toList());

        // The reader has run ahead of what was returned; the position has not.
        await().atMost(Duration.ofSeconds(5)).until(() -> inner.polls.get() > 50);
        assertThat(feed.position()).isEqualTo(new ResumeToken("after-50"));
    }

    @Test
    void readsAtMostOneBatchAheadOfTheCaller() {
        NumberedFeed inner = new NumberedFeed(Integer.MAX_VALUE);
        open(inner);

        // One batch queued, one held by the reader waiting to queue it; never more while nobody polls.
        await().atMost(Duration.ofSeconds(5)).until(() -> inner.polls.get() == 2);
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> inner.polls.get() == 2);
    }

    @Test
    void rethrowsTheInnerFeedsFailureAsThrownAfterTheBatchesBeforeIt() {
        HistoryLost lost = new HistoryLost("fell out of the oplog", null);
        NumberedFeed inner = new NumberedFeed(2, lost);
        ReadAheadFeed feed = open(inner);

        assertThat(pollUntilNotEmpty(feed).get(0).token().value()).isEqualTo("change-1");
        assertThat(pollUntilNotEmpty(feed).get(0).token().value()).isEqualTo("change-2");
        await().pollInSameThread().atMost(Duration.ofSeconds(5))
            .untilAsserted(() -> assertThatThrownBy(feed::poll).isSameAs(lost));
        assertThatThrownBy(feed::poll).isSameAs(lost);
        assertThat(feed.position()).isEqualTo(new ResumeToken("after-2"));
        await().atMost(Duration.ofSeconds(5)).until(() -> inner.closedBy != null);
    }

    @Test
    void returnsNothingWhileTheReaderIsStuckInARead() {
        GatedFeed inner = new GatedFeed();
        ReadAheadFeed feed = open(inner);

        assertThat(feed.poll()).isEmpty(); // bounded wait, so the relay can re-check its lease
        assertThat(feed.position()).isNull();
        inner.release.countDown();
        assertThat(pollUntilNotEmpty(feed).get(0).token().value()).isEqualTo("change-1");
    }

    @Test
    void closeStopsTheReaderWhichClosesTheInnerFeedOnItsOwnThread() {
        NumberedFeed inner = new NumberedFeed(Integer.MAX_VALUE);
        ReadAheadFeed feed = open(inner);
        await().atMost(Duration.ofSeconds(5)).until(() -> inner.polls.get() == 2); // reader blocked handing over

        feed.close();

        assertThat(inner.closedBy).isEqualTo("test-reader");
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("test-reader"));
        int polls = inner.polls.get();
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(1)).until(() -> inner.polls.get() == polls);
    }

    @Test
    void closeByAKilledRelayDoesNotWaitAndTheReaderStillClosesTheInnerFeed() throws InterruptedException {
        GatedFeed inner = new GatedFeed();
        ReadAheadFeed feed = open(inner);
        assertThat(inner.entered.await(5, TimeUnit.SECONDS)).isTrue(); // the reader is inside a read

        Thread.currentThread().interrupt(); // as ChangeStreamRelay.kill() interrupts its worker
        try {
            feed.close();
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
        assertThat(Thread.getAllStackTraces().keySet()).anyMatch(t -> t.getName().equals("test-reader"));
        assertThat(inner.closedBy).isNull();

        inner.release.countDown();
        await().atMost(Duration.ofSeconds(5)).until(() -> "test-reader".equals(inner.closedBy));
    }

    private ReadAheadFeed open(ChangeSource.ChangeFeed inner) {
        ReadAheadFeed feed = new ReadAheadFeed(inner, "test-reader");
        opened.add(feed);
        return feed;
    }

    private static List<Change> pollUntilNotEmpty(ReadAheadFeed feed) {
        // poll() itself waits for the reader, so ask again at once
        return await().pollInSameThread().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
            .atMost(Duration.ofSeconds(5)).until(feed::poll, batch -> !batch.isEmpty());
    }

    /** Batch n holds one change, "change-n"; the position after it is "after-n"; then, optionally, a failure. */
    private static class NumberedFeed implements ChangeSource.ChangeFeed {
        final AtomicInteger polls = new AtomicInteger();
        private final int batches;
        private final RuntimeException thenFailure;
        private volatile int returned;
        volatile String closedBy;

        NumberedFeed(int batches) {
            this(batches, null);
        }

        NumberedFeed(int batches, RuntimeException thenFailure) {
            this.batches = batches;
            this.thenFailure = thenFailure;
        }

        @Override
        public List<Change> poll() {
            int n = polls.incrementAndGet();
            if (n > batches) {
                throw thenFailure;
            }
            returned = n;
            return List.of(new Change.Refused(new ResumeToken("change-" + n), "{}", "test"));
        }

        @Override
        public ResumeToken position() {
            return returned == 0 ? null : new ResumeToken("after-" + returned);
        }

        @Override
        public void close() {
            closedBy = Thread.currentThread().getName();
        }
    }

    /** A numbered feed whose reads wait at a gate until released: a reader stuck in a read. */
    private static final class GatedFeed extends NumberedFeed {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        GatedFeed() {
            super(Integer.MAX_VALUE);
        }

        @Override
        public List<Change> poll() {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return super.poll();
        }
    }
}
