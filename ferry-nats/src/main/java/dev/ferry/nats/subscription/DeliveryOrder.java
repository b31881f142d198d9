package dev.ferry.nats.subscription;

/**
 * Which of one consumer's deliveries the engine may take (partition-leases.json, section {@code deliveries}): pure, so
 * that the conformance vectors check what {@link PartitionConsumer#accept} decides.
 * <p>
 * JetStream numbers every delivery of a consumer, redeliveries included (the delivery, or consumer, sequence). Messages
 * in flight when a connection drops are counted as delivered by the server and come again only after AckWait, while
 * the next pull brings newer ones first: a delivery sequence that skips means lost deliveries. Nothing after them may
 * be taken, since a key's later record would be applied before the lost earlier one, and acknowledging it (policy
 * <i>all</i>) would acknowledge the lost ones too. Once gapped, every further delivery is a gap: the owner gives the
 * partition up, and the next epoch's consumer starts at the ack floor, so the lost messages come again.
 */
final class DeliveryOrder {

    enum Verdict {
        /** Next in order: hand it to the engine. */
        TAKE,
        /** A redelivery of one taken already (AckWait ran out while the engine held it): the engine still has it. */
        DROP,
        /** Deliveries were lost before it: take nothing more from this consumer. */
        GAP
    }

    private long nextDelivery;
    private long lastTaken;
    private boolean gapped;
    private long gapExpected;
    private long gapDelivery;
    private long gapStream;

    /**
     * @param ackFloorDelivery the delivery sequence of the consumer's ack floor when this owner starts reading it (0 for
     *                         a new consumer): what an earlier reader was delivered past it and did not acknowledge
     *                         then shows as a gap
     * @param floor            the last stream sequence handled already: nothing at or below it is taken
     */
    DeliveryOrder(long ackFloorDelivery, long floor) {
        this.nextDelivery = ackFloorDelivery + 1;
        this.lastTaken = floor;
    }

    Verdict next(long streamSequence, long deliverySequence) {
        if (gapped) {
            return Verdict.GAP;
        }
        if (deliverySequence > nextDelivery) {
            gapped = true;
            gapExpected = nextDelivery;
            gapDelivery = deliverySequence;
            gapStream = streamSequence;
            return Verdict.GAP;
        }
        if (deliverySequence < nextDelivery) {
            // Numbered before: a redelivery of a message taken already, or, after a server restarted from older state,
            // one never taken — a gap, since later ones were taken (and would be acknowledged past it).
            if (streamSequence <= lastTaken) {
                return Verdict.DROP;
            }
            gapped = true;
            gapExpected = nextDelivery;
            gapDelivery = deliverySequence;
            gapStream = streamSequence;
            return Verdict.GAP;
        }
        nextDelivery = deliverySequence + 1;
        if (streamSequence <= lastTaken) {
            return Verdict.DROP;
        }
        lastTaken = streamSequence;
        return Verdict.TAKE;
    }

    /** The last stream sequence taken (or the floor). */
    long lastTaken() {
        return lastTaken;
    }

    /** What the first gap was, for the log; empty before one. */
    String gap() {
        return gapped ? "delivery " + gapDelivery + " (stream sequence " + gapStream + ") where delivery " + gapExpected
            + " was next, after stream sequence " + lastTaken : "";
    }
}
