package dev.ferry.kafka.publish;

import java.util.Objects;

/**
 * Kafka's exactly-once publishing for one relay, off unless configured ({@code transport.kafka.exactlyOnce}). Every
 * instance of the relay shares one {@code transactional.id}, so a new leader's producer fences its predecessors' and
 * aborts the transaction a crashed or frozen one left open; the relay's position is written in the same transaction
 * as the records it covers, to a compacted topic of Ferry's, so a reader of committed records sees each record once
 * whatever fails. Azure Event Hubs has no transactions: there the relay publishes at least once, as by default.
 *
 * @param transactionalId the producers' {@code transactional.id}: the topic prefix + {@value #TRANSACTIONAL_ID_INFIX} +
 *                        the relay's name (the prefix keeps two deployments on one cluster from fencing each other)
 * @param positionsTopic  the compacted, single-partition topic holding each relay's position, keyed by relay name
 */
public record ExactlyOnce(String transactionalId, String positionsTopic) {

    /** Between the topic prefix and the relay's name in the {@code transactional.id} (a name operators grant ACLs to). */
    public static final String TRANSACTIONAL_ID_INFIX = "relay-";

    /** The positions topic's name after the topic prefix. */
    public static final String POSITIONS_TOPIC_SUFFIX = "relay-positions";

    public ExactlyOnce {
        Objects.requireNonNull(transactionalId, "transactionalId");
        Objects.requireNonNull(positionsTopic, "positionsTopic");
    }

    /**
     * The mode for the relay named {@code relay} of the deployment whose topics start with {@code topicPrefix}: the
     * {@code transactional.id} {@code <topicPrefix>relay-<relay>}, the positions in {@code <topicPrefix>relay-positions}.
     */
    public static ExactlyOnce forRelay(String relay, String topicPrefix) {
        return new ExactlyOnce(topicPrefix + TRANSACTIONAL_ID_INFIX + relay, topicPrefix + POSITIONS_TOPIC_SUFFIX);
    }
}
