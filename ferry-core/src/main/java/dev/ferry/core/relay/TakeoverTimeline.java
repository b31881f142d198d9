package dev.ferry.core.relay;

import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a new leader's first seconds go, logged once per term when its first record is acknowledged: making the
 * publisher, opening the stream, the first change read, the first acknowledgement. A failover's time is the lease's
 * expiry plus these, so an operator (and the failover benchmark) can see which part to shorten.
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
        log.info("relay {}: epoch {}'s first record acknowledged {} ms after taking the lease (publisher made in {} ms, "
                + "stream opened at {} ms, first change read at {} ms)", relay, epoch, millis(now), since(publisherReadyAt),
            since(streamOpenedAt), since(firstChangeAt));
    }

    private long millis(long at) {
        return TimeUnit.NANOSECONDS.toMillis(at - ledAt);
    }

    private String since(long at) {
        return at == 0 ? "-" : Long.toString(millis(at));
    }
}
