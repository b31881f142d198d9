package dev.ferry.nats.subscription;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;

import io.nats.client.ConsumeOptions;
import io.nats.client.Connection;
import io.nats.client.ConsumerContext;
import io.nats.client.Dispatcher;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.Message;
import io.nats.client.MessageConsumer;
import io.nats.client.MessageHandler;
import io.nats.client.api.ConsumerInfo;

import dev.ferry.core.subscription.PartitionId;
import dev.ferry.nats.NatsSettings;

/**
 * One owned partition's durable pull consumer for one lease epoch, named {@code <group>_<type>_<n>_e<epoch>} and
 * filtering exactly the partition's subject (server 2.9: one filter subject per consumer).
 * <p>
 * <b>A new owner starts at the ack floor.</b> It reads the floor of every earlier epoch's consumer of the partition
 * (the larger of its ack floor and its start sequence - 1, since a consumer that acknowledged nothing reports 0),
 * creates its own consumer starting right after the highest, then deletes the lower epochs' ones. A deposed owner's late
 * acknowledgement can thus only reach its own consumer, never the new owner's, and order never depends on AckWait.
 * Acknowledgement policy {@code all}: acknowledging one message acknowledges the partition's prefix up to it, as a
 * Kafka offset commit does. Used by the subscription's polling thread, except that deliveries arrive on the
 * client's thread into the shared queue.
 * <p>
 * <b>Nothing is taken past lost deliveries</b> ({@link DeliveryOrder}): messages in flight when the connection dropped
 * count as delivered on the server and come again only after AckWait, after newer ones. A delivery sequence that
 * skips stops the consumer from taking anything more, and the subscription gives the partition up, so that the next
 * epoch starts at the ack floor and reads the lost messages again, in order.
 */
final class PartitionConsumer {

    /**
     * How long a pull request waits on the server (the client's least); the client expects heartbeats at half of it,
     * and re-issues a pull that is lost once three are missed. Pulls are lost with a server restart, and by nats-server
     * before 2.9.16 (Debian's 2.9.10) when messages arrive just as one expires: it drops the pull without a word, during
     * bursts (with 5 s here, a replicator stood still for about 10 s in the replication benchmark, twice in one run).
     * With the client's default (30 s) a partition stood still for about 40 s after a restart; with this about 2 s.
     */
    static final Duration PULL_EXPIRES = Duration.ofSeconds(1);

    private final PartitionId partition;
    private final long epoch;
    private final String name;
    private final long floor;
    /**
     * Delivered and not yet acknowledged, in stream sequence order (only ever higher ones are accepted): the message
     * to acknowledge a prefix with. (A sorted map cost a boxed sequence and an entry per message.)
     */
    private final ArrayDeque<Message> unacknowledged = new ArrayDeque<>();
    private final DeliveryOrder order;
    private MessageConsumer consumer;
    private long acknowledgedUpTo;
    private long pending;

    /** @param ackFloorDelivery the delivery sequence of the consumer's ack floor as it starts being read: 0 when new */
    private PartitionConsumer(PartitionId partition, long epoch, String name, long floor, long ackFloorDelivery) {
        this.partition = partition;
        this.epoch = epoch;
        this.name = name;
        this.floor = floor;
        this.order = new DeliveryOrder(ackFloorDelivery, floor);
        this.acknowledgedUpTo = floor;
    }

    /** A delivery on the client's thread, tagged with the consumer it came from. */
    record Delivery(PartitionConsumer from, Message message) {
    }

    static PartitionConsumer start(Connection connection, NatsSettings settings, String group, String subject,
                                   PartitionId partition, long epoch, BlockingQueue<Delivery> deliveries)
        throws IOException, JetStreamApiException {
        return start(connection, null, settings, group, subject, partition, epoch, deliveries);
    }

    /**
     * @param dispatcher the thread that hands deliveries over, shared by all of a subscription's partitions (one
     *                   thread in all, not one per partition); null for one of the consumer's own
     */
    static PartitionConsumer start(Connection connection, Dispatcher dispatcher, NatsSettings settings, String group,
                                   String subject, PartitionId partition, long epoch, BlockingQueue<Delivery> deliveries)
        throws IOException, JetStreamApiException {
        JetStreamManagement management = connection.jetStreamManagement();
        String base = consumerBase(group, partition);
        List<ConsumerStart.Existing> existing = new ArrayList<>();
        for (String consumer : management.getConsumerNames(settings.stream())) {
            if (consumer.startsWith(base)) { // other partitions' consumers: no need to ask for their state
                ConsumerInfo info = management.getConsumerInfo(settings.stream(), consumer);
                existing.add(new ConsumerStart.Existing(consumer, info.getConsumerConfiguration().getFilterSubject(),
                    info.getAckFloor().getStreamSequence(), info.getConsumerConfiguration().getStartSequence()));
            }
        }
        ConsumerStart plan = ConsumerStart.decide(group, partition, epoch, subject, existing, settings);
        if (plan.create() != null) {
            management.addOrUpdateConsumer(settings.stream(), plan.create());
        }
        for (String consumer : management.getConsumerNames(settings.stream())) {
            if (plan.namesLowerEpoch(consumer) && plan.deletes(consumer, management.getConsumerInfo(settings.stream(),
                consumer).getConsumerConfiguration().getFilterSubject())) {
                management.deleteConsumer(settings.stream(), consumer);
            }
        }
        String name = plan.name();
        long floor = plan.floor();
        // This epoch's own consumer (an earlier attempt made it) numbers deliveries on from its ack floor's: what it
        // delivered past that and nobody acknowledged then shows as lost, and the partition is given up.
        long ackFloorDelivery = plan.create() != null ? 0
            : management.getConsumerInfo(settings.stream(), name).getAckFloor().getConsumerSequence();
        PartitionConsumer self = new PartitionConsumer(partition, epoch, name, floor, ackFloorDelivery);
        ConsumeOptions options = ConsumeOptions.builder().batchSize(Math.min(500, settings.maxAckPending()))
            .expiresIn(PULL_EXPIRES.toMillis()).build();
        MessageHandler handler = message -> deliveries.add(new Delivery(self, message));
        ConsumerContext context = connection.jetStream().getConsumerContext(settings.stream(), name);
        self.consumer = dispatcher == null ? context.consume(options, handler)
            : context.consume(options, dispatcher, handler);
        return self;
    }

    /** {@code <group>_<type>_<n>_e}: consumer names allow no '.', '*', '>' or white space. */
    static String consumerBase(String group, PartitionId partition) {
        return (group + "_" + partition.topic() + "_" + partition.number() + "_e").replaceAll("[^A-Za-z0-9_-]", "_");
    }

    PartitionId partition() {
        return partition;
    }

    long epoch() {
        return epoch;
    }

    String name() {
        return name;
    }

    long floor() {
        return floor;
    }

    /**
     * Takes a delivered message for the engine ({@link DeliveryOrder.Verdict#TAKE}); drops a redelivery of one already
     * handed over (AckWait ran out while the engine held it: the engine still has it, and order must not depend on
     * AckWait); refuses it and everything after it once deliveries were lost ({@link DeliveryOrder.Verdict#GAP}).
     */
    DeliveryOrder.Verdict accept(Message message) {
        pending = message.metaData().pendingCount();
        DeliveryOrder.Verdict verdict = order.next(message.metaData().streamSequence(),
            message.metaData().consumerSequence());
        if (verdict == DeliveryOrder.Verdict.TAKE) {
            unacknowledged.addLast(message);
        }
        return verdict;
    }

    /** The deliveries lost, for the log, once {@link #accept} found a gap. */
    String gap() {
        return order.gap();
    }

    /** Messages of the partition stored but not yet delivered, as of the last delivery. */
    long pending() {
        return pending;
    }

    /**
     * Acknowledges everything before {@code next} with one acknowledgement of the last delivered message below it.
     *
     * @return the sequences newly covered, {@code [from, to]}, or null if nothing new
     */
    long[] acknowledgeBelow(long next) {
        Message last = null;
        while (!unacknowledged.isEmpty() && sequence(unacknowledged.peekFirst()) < next) {
            last = unacknowledged.pollFirst();
        }
        if (last == null || sequence(last) <= acknowledgedUpTo) {
            return null;
        }
        last.ack();
        long[] covered = {acknowledgedUpTo + 1, sequence(last)};
        acknowledgedUpTo = sequence(last);
        return covered;
    }

    /**
     * Waits (until {@code deadline}, a {@link System#nanoTime()}) until the server's ack floor holds everything
     * acknowledged here. Acknowledgements are sent without waiting for an answer, and the server applies them in order
     * but later; a lease released before they are applied lets the next owner start below them and read them again.
     * Used when handing a partition over in order (a revoke, a close), never on the hot path; each request to the server
     * waits no longer than what is left.
     *
     * @return whether the server holds the floor; false if it could not be confirmed in time (the next owner may then
     *         read the last records again, which its version checks absorb, as after a crash)
     */
    boolean awaitAcknowledgementsApplied(Connection connection, String stream, long deadline)
        throws InterruptedException {
        if (acknowledgedUpTo <= floor) {
            return true; // nothing acknowledged under this epoch (and a consumer that acknowledged nothing reports 0)
        }
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                JetStreamManagement management = connection.jetStreamManagement(JetStreamOptions.builder()
                    .requestTimeout(Duration.ofNanos(Math.max(left, Duration.ofMillis(1).toNanos()))).build());
                if (management.getConsumerInfo(stream, name).getAckFloor().getStreamSequence() >= acknowledgedUpTo) {
                    return true;
                }
            } catch (IOException | JetStreamApiException | RuntimeException e) {
                return false; // the server is unreachable or the consumer gone: nothing to wait for
            }
            Thread.sleep(5); // the server applies queued acknowledgements within milliseconds
        }
    }

    private static long sequence(Message message) {
        return message.metaData().streamSequence(); // parsed once per message by the client, then kept
    }

    /** Stops pulling; the consumer stays on the server for the next owner to read its floor from. */
    void stop() {
        consumer.stop();
        try {
            consumer.close();
        } catch (Exception e) {
            // closing a consumer whose connection is gone: nothing to give back
        }
    }
}
