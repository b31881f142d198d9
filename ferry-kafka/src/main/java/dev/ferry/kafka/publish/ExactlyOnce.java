package dev.ferry.kafka.publish;

import java.util.Objects;

/**
 * Kafka's exactly-once publishing for one relay, off unless configured ({@code transport.kafka.exactlyOnce}). Every
 * instance of the relay shares one {@code transactional.id}, so a new leader's producer fences its predecessors' and
 * aborts the transaction a crashed or frozen one left open; the relay's position is written in the same transaction
 * as the records it covers, to a compacted topic of Ferry's, so a reader of committed records sees each record once
 * whatever fails. Azure Event Hubs has no transactions: there the relay publishes at least once, as by default.
 *
 * @param transactionalId the producers' {@code transactional.id}: {@value #TRANSACTIONAL_ID_PREFIX} + the relay's name
 * @param positionsTopic  the compacted, single-partition topic holding each relay's position, keyed by relay name
 */
public record ExactlyOnce(String transactionalId, String positionsTopic) {

    /** Prefix of the {@code transactional.id} (a name operators grant ACLs to). */
    public static final String TRANSACTIONAL_ID_PREFIX = "ferry-relay-";

    /** The default positions topic's name after the topic prefix. */
    public static final String POSITIONS_TOPIC_SUFFIX = "relay-positions";

    public ExactlyOnce {
        Objects.requireNonNull(transactionalId, "transactionalId");
        Objects.requireNonNull(positionsTopic, "positionsTopic");
    }

    /** The mode for the relay named {@code relay}, its position in {@code positionsTopic}. */
    public static ExactlyOnce forRelay(String relay, String positionsTopic) {
        return new ExactlyOnce(TRANSACTIONAL_ID_PREFIX + relay, positionsTopic);
    }
}
