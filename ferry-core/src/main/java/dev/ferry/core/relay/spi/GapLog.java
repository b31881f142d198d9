package dev.ferry.core.relay.spi;

import java.time.Instant;

/** Durable record of ranges the relay skipped (history lost and the policy said restart from now). */
public interface GapLog {

    /**
     * Records a gap.
     *
     * @param from   last known published position's time (the last checkpoint), or null if none
     * @param to     when the relay restarted
     * @param reason why
     */
    void record(String relayName, Instant from, Instant to, String reason);
}
