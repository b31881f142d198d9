package dev.ferry.core.relay;

import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a term's first seconds go, logged once per term when the relay sees its first record acknowledged, counted
 * from the moment it starts leading (the lease is already taken; a term restarted in the same epoch after an error
 * starts a new timeline): the checkpoint read and the publisher ready, the stream opened, the first change read, the
 * first acknowledgement seen (the relay drains acknowledgements between batches, so a little after the broker's).
 * A failover's time is the lease's expiry and take-over plus these, so an operator (and the failover benchmark) can
 * see which part to shorten.
 */
final class TakeoverTimeline {

    private static final Logger log = LoggerFactory.getLogger(TakeoverTimeline.class);

    private final String relay;
    private final long epoch;
    private final long ledAt = System.nanoTime();
    private long publisherReadyAt;
    private long streamOpenedAt;
    private long firstChangeAt;
    private boolean reported;

    TakeoverTimeline(String relay, long epoch) {
        this.relay = relay;
        this.epoch = epoch;
    }

    void publisherReady() {
        publisherReadyAt = System.nanoTime();
    }

    void streamOpened() {
        if (streamOpenedAt == 0) {
            streamOpenedAt = System.nanoTime();
        }
    }

    void changeRead() {
        if (firstChangeAt == 0) {
            firstChangeAt = System.nanoTime();
        }
    }

    void acknowledged() {
        if (reported) {
            return;
        }
        reported = true;
        long now = System.nanoTime();
        log.info("relay {}: epoch {}'s first record acknowledged {} ms after the term began (checkpoint read and "
                + "publisher ready at {} ms, stream opened at {} ms, first change read at {} ms)",
            relay, epoch, millis(now), since(publisherReadyAt), since(streamOpenedAt), since(firstChangeAt));
    }

    private long millis(long at) {
        return TimeUnit.NANOSECONDS.toMillis(at - ledAt);
    }

    private String since(long at) {
        return at == 0 ? "-" : Long.toString(millis(at));
    }
}
