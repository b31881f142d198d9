package dev.ferry.nats.subscription;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;

import dev.ferry.core.lease.LeaseStore;
import dev.ferry.core.lease.LeaseTiming;
import dev.ferry.core.subscription.PartitionId;
import dev.ferry.core.subscription.PartitionedSubscription;
import dev.ferry.core.subscription.SubscribedRecord;
import dev.ferry.core.wire.FerryHeaders;
import dev.ferry.engine.ownership.LeasedPartitionOwnership;
import dev.ferry.engine.ownership.OwnershipEvent;
import dev.ferry.nats.NatsConnections;
import dev.ferry.nats.NatsSettings;
import dev.ferry.nats.SubjectNaming;
import dev.ferry.nats.subscription.PartitionConsumer.Delivery;

/**
 * JetStream as the engine's {@link PartitionedSubscription}: partitions are the subjects {@code <stream>.<type>.<n>},
 * owned through leases ({@link LeasedPartitionOwnership}), each read by a consumer of its own that starts at the
 * partition's ack floor ({@link PartitionConsumer}). A {@link PartitionId} is {@code (type, n)}.
 * <p>
 * Everything that touches ownership runs on the polling thread, inside {@link #poll}: a partition whose lease was won
 * is started and reported gained; one the balance wants back is revoked (the engine acknowledges what is done), its
 * consumer stopped, its lease released; one whose lease is no longer valid is reported lost. Every acknowledgement
 * checks the lease first, and so does every read-model write ({@link #mayWrite}): an owner that was paused past its
 * lease acknowledges and writes nothing.
 * <p>
 * Deliveries lost in transit (in flight when the connection dropped; the server resends them only after AckWait, after
 * newer ones) give the partition up as a refused write does: nothing after them reaches the engine, nothing more is
 * acknowledged under that epoch, the lease is released, and the next epoch's consumer starts at the ack floor, so the
 * lost messages come again, in order ({@link DeliveryOrder}).
 */
public final class NatsPartitionSubscription implements PartitionedSubscription {

    private static final Logger log = LoggerFactory.getLogger(NatsPartitionSubscription.class);
    /** The ownership log: {@code dev.ferry.nats.ownership} at DEBUG shows every write and acknowledgement. */
    public static final String OWNERSHIP_LOGGER = "dev.ferry.nats.ownership";
    private static final Logger ownershipLogger = LoggerFactory.getLogger(OWNERSHIP_LOGGER);
    /** Partition leases: a dead owner's partitions move about 2 TTLs (its membership, then the lease) after it died. */
    public static final LeaseTiming PARTITION_LEASES = new LeaseTiming(Duration.ofMillis(2000), Duration.ofMillis(400),
        Duration.ofMillis(200), Duration.ofMillis(500));
    private static final Delivery WAKE_UP = new Delivery(null, null);
    /** How long an orderly handover waits, in all, for the server to confirm the acknowledgements made before it. */
    private static final Duration HANDOVER_CONFIRMATION = Duration.ofSeconds(2);

    private final NatsSettings settings;
    private final LeaseStore leases;
    private final String group;
    private final String instanceId;
    private final LeaseTiming timing;
    private final Consumer<OwnershipEvent> ownershipLog;
    private final SubjectNaming subjects;
    private final LinkedBlockingQueue<Delivery> deliveries = new LinkedBlockingQueue<>();
    /** The polling thread's own, reused for every poll. */
    private final List<Delivery> drained = new ArrayList<>();
    /** Owned and consuming, with records received but not yet handed to the engine (paused, or just arrived). */
    private final Map<PartitionId, PartitionConsumer> active = new HashMap<>();
    private final Map<PartitionId, Deque<Message>> waiting = new HashMap<>();
    private final Set<PartitionId> paused = new HashSet<>();
    /** What is owned, under which epoch: read by the engine's lane threads ({@link #mayWrite}). */
    private volatile Map<PartitionId, Long> ownedEpochs = Map.of();
    /**
     * Partitions (and epochs) a write was refused for, or whose deliveries were lost: given up at the next poll even if
     * the lease recovers.
     */
    private final Set<String> fenced = ConcurrentHashMap.newKeySet();
    private Connection connection;
    private Dispatcher dispatcher;
    private LeasedPartitionOwnership ownership;
    private Ownership engine;

    /**
     * @param group        the projection: its leases and consumers are named after it
     * @param ownershipLog told of every gain, delivery, acknowledgement and loss (the ownership log)
     */
    public NatsPartitionSubscription(NatsSettings settings, LeaseStore leases, String group, String instanceId,
                                     LeaseTiming timing, Consumer<OwnershipEvent> ownershipLog) {
        this.settings = settings;
        this.leases = leases;
        this.group = group;
        this.instanceId = instanceId;
        this.timing = timing;
        this.ownershipLog = ownershipLog;
        this.subjects = settings.subjects();
    }

    /** With the default partition lease timing, logging ownership at INFO (acknowledgements at DEBUG). */
    public NatsPartitionSubscription(NatsSettings settings, LeaseStore leases, String group, String instanceId) {
        this(settings, leases, group, instanceId, PARTITION_LEASES, NatsPartitionSubscription::logEvent);
    }

    @Override
    public void open(Set<String> aggregateTypes, Ownership engineOwnership) {
        this.engine = engineOwnership;
        aggregateTypes.forEach(SubjectNaming::checkType);
        List<PartitionId> partitions = new ArrayList<>();
        for (String type : aggregateTypes) {
            for (int n = 0; n < settings.partitions(); n++) {
                partitions.add(new PartitionId(type, n));
            }
        }
        connection = NatsConnections.open(settings, group + "-" + instanceId);
        // One thread hands every partition's deliveries over (a dispatcher per consumer was a thread per partition,
        // each waking the polling thread on its own).
        dispatcher = connection.createDispatcher();
        // No pending limit: over the client's default (64 MB, shared now by all partitions) it drops a message and only
        // reports a slow consumer, and a later acknowledgement (ack policy all) would cover the dropped one, losing it.
        // What it holds is bounded anyway: each partition's pull batch, handed over as the engine takes it.
        dispatcher.setPendingLimits(0, 0);
        ownership = new LeasedPartitionOwnership(leases, group, instanceId, timing, partitions);
        ownership.start();
    }

    @Override
    public List<SubscribedRecord> poll(Duration timeout) {
        followOwnership();
        try {
            if (!anyDeliverable()) {
                Delivery first = deliveries.poll(Math.min(timeout.toMillis(), timing.checkInterval().toMillis()),
                    TimeUnit.MILLISECONDS);
                if (first != null) {
                    take(first);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deliveries.drainTo(drained); // one lock for all that arrived
        for (int i = 0; i < drained.size(); i++) {
            take(drained.get(i));
        }
        drained.clear();
        List<SubscribedRecord> records = null;
        for (Map.Entry<PartitionId, Deque<Message>> entry : waiting.entrySet()) {
            PartitionId partition = entry.getKey();
            Deque<Message> queue = entry.getValue();
            if (queue.isEmpty() || paused.contains(partition)) {
                continue;
            }
            records = records == null ? new ArrayList<>(queue.size() * 2) : records;
            long from = queue.peekFirst().metaData().streamSequence();
            long to = queue.peekLast().metaData().streamSequence();
            while (!queue.isEmpty()) {
                records.add(record(partition, queue.pollFirst()));
            }
            try {
                ownershipLog.accept(event(partition, active.get(partition).epoch(), OwnershipEvent.Kind.DELIVERED, from,
                    to));
            } catch (RuntimeException e) {
                // The records are out of their queues: a poll that threw now would lose them (PartitionedSubscription)
                log.warn("projector {}: the ownership log failed: {}", group, e.toString());
            }
        }
        return records == null ? List.of() : records;
    }

    private boolean anyDeliverable() {
        for (Map.Entry<PartitionId, Deque<Message>> entry : waiting.entrySet()) {
            if (!entry.getValue().isEmpty() && !paused.contains(entry.getKey())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Keeps a delivery if it comes from a partition's current consumer and is next in order; after lost deliveries
     * fences the partition instead, handing nothing more of it to the engine.
     */
    private void take(Delivery delivery) {
        if (delivery == WAKE_UP || delivery.message() == null || !delivery.message().isJetStream()) {
            return;
        }
        PartitionConsumer consumer = active.get(delivery.from().partition());
        if (consumer != delivery.from()) {
            return;
        }
        switch (consumer.accept(delivery.message())) {
            case TAKE -> waiting.computeIfAbsent(consumer.partition(), p -> new ArrayDeque<>())
                .addLast(delivery.message());
            case DROP -> {
            }
            case GAP -> fenceAfterGap(consumer);
        }
    }

    /**
     * Gives the partition up at the next poll, as a refused write does: what waits is not handed over (its writes would
     * be refused), the lease is released at the epoch, and a new epoch's consumer reads again from the ack floor.
     */
    private void fenceAfterGap(PartitionConsumer consumer) {
        waiting.remove(consumer.partition());
        if (fenced.add(fencedName(consumer.partition(), consumer.epoch()))) {
            log.warn("projector {} instance {}: deliveries of {} at epoch {} were lost in transit: {}; giving the "
                    + "partition up, its next owner reads again from the ack floor", group, instanceId,
                consumer.partition(), consumer.epoch(), consumer.gap());
        }
    }

    private SubscribedRecord record(PartitionId partition, Message message) {
        String key = message.getHeaders() == null ? null : message.getHeaders().getFirst(FerryHeaders.CE_SUBJECT);
        if (key == null) {
            key = "?"; // not a Ferry record; the engine parks it as a poison record of aggregate type/?
        }
        return new SubscribedRecord(partition, message.metaData().streamSequence(), partition.topic(), key,
            message.getData() == null ? new byte[0] : message.getData());
    }

    /** Starts what was won, hands back what the balance wants back, drops what was lost. */
    private void followOwnership() {
        List<PartitionId> lost = new ArrayList<>();
        for (PartitionConsumer consumer : active.values()) {
            if (!ownership.isValid(consumer.partition(), consumer.epoch())
                || !fenced.isEmpty() && fenced.remove(fencedName(consumer.partition(), consumer.epoch()))) {
                lost.add(consumer.partition());
            }
        }
        if (!lost.isEmpty()) {
            lost.forEach(p -> {
                PartitionConsumer consumer = drop(p);
                ownershipLog.accept(event(p, consumer.epoch(), OwnershipEvent.Kind.LOST, 0, 0));
                ownership.release(p, consumer.epoch());
            });
            log.warn("projector {} instance {}: leases of {} ran out or were taken, a write was refused or deliveries "
                + "were lost; nothing more acknowledged there",
                group, instanceId, lost);
            engine.lost(lost);
        }
        Set<PartitionId> releaseRequested = ownership.releaseRequested();
        List<PartitionId> revoke = releaseRequested.isEmpty() ? List.of()
            : releaseRequested.stream().filter(active::containsKey).toList();
        if (!revoke.isEmpty()) {
            engine.revoked(revoke); // acknowledges what is done, while the leases are still held
            awaitAcknowledgementsApplied(revoke);
            revoke.forEach(p -> {
                PartitionConsumer consumer = drop(p);
                ownershipLog.accept(event(p, consumer.epoch(), OwnershipEvent.Kind.REVOKED, 0, 0));
                ownership.release(p, consumer.epoch());
            });
        }
        if (!releaseRequested.isEmpty()) {
            ownership.releaseRequested().stream().filter(p -> !active.containsKey(p)).forEach(ownership::release);
        }
        List<PartitionId> gained = new ArrayList<>();
        for (PartitionId partition : ownership.held()) {
            if (active.containsKey(partition)) {
                continue;
            }
            OptionalLong epoch = ownership.epoch(partition); // asked afresh: only for a partition not started yet
            if (epoch.isEmpty() || ownership.releaseRequested().contains(partition)) {
                continue;
            }
            try {
                PartitionConsumer consumer = PartitionConsumer.start(connection, dispatcher, settings, group,
                    subjects.subject(partition.topic(), partition.number()), partition, epoch.getAsLong(), deliveries);
                active.put(partition, consumer);
                gained.add(partition);
                ownershipLog.accept(event(partition, consumer.epoch(), OwnershipEvent.Kind.GAINED, consumer.floor() + 1, 0));
            } catch (Exception e) {
                log.warn("projector {} instance {}: cannot start consuming {} now: {}", group, instanceId, partition,
                    e.toString());
            }
        }
        if (!gained.isEmpty()) {
            publishOwned();
            engine.gained(gained);
        }
    }

    /**
     * Before leases are released in order: the server has applied every acknowledgement made under them, so that the
     * next owner starts right after them instead of reading the last records again. Bounded in all (an unreachable
     * server must not hold a close up): unconfirmed, the next owner may read them again, as after a crash.
     */
    private void awaitAcknowledgementsApplied(List<PartitionId> partitions) {
        long deadline = System.nanoTime() + HANDOVER_CONFIRMATION.toNanos();
        try {
            for (PartitionId partition : partitions) {
                PartitionConsumer consumer = active.get(partition);
                if (consumer != null && !consumer.awaitAcknowledgementsApplied(connection, settings.stream(), deadline)) {
                    log.info("projector {} instance {}: the server did not confirm the acknowledgements of {} within "
                        + "the handover's {} ms (all partitions together); its next owner may read the last records "
                        + "again", group, instanceId, partition, HANDOVER_CONFIRMATION.toMillis());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private PartitionConsumer drop(PartitionId partition) {
        PartitionConsumer consumer = active.remove(partition);
        waiting.remove(partition);
        paused.remove(partition);
        consumer.stop();
        publishOwned();
        return consumer;
    }

    private void publishOwned() {
        Map<PartitionId, Long> epochs = new HashMap<>();
        active.values().forEach(consumer -> epochs.put(consumer.partition(), consumer.epoch()));
        ownedEpochs = Map.copyOf(epochs);
    }

    @Override
    public Set<PartitionId> owned() {
        return ownedEpochs.keySet();
    }

    /**
     * Fenced as acknowledgements are: the lease must be valid on this instance's clock right before the write. A
     * refused write gives the partition up for good (a lease that recovers later would otherwise leave the refused
     * records unfinished under a live owner).
     */
    @Override
    public boolean mayWrite(PartitionId partition, long first, long last) {
        Long epoch = ownedEpochs.get(partition);
        if (epoch == null) {
            return false;
        }
        // Once refused, refused until the partition is dropped at the next poll: a lease whose late renewal lands
        // would otherwise let a later record of an aggregate be written before the refused earlier one.
        if (!fenced.isEmpty() && fenced.contains(fencedName(partition, epoch)) || !ownership.isValid(partition, epoch)) {
            fenced.add(fencedName(partition, epoch));
            ownershipLog.accept(event(partition, epoch, OwnershipEvent.Kind.WRITE_REFUSED, first, last));
            return false;
        }
        ownershipLog.accept(event(partition, epoch, OwnershipEvent.Kind.WRITTEN, first, last));
        return true;
    }

    private static String fencedName(PartitionId partition, long epoch) {
        return partition + "@" + epoch;
    }

    @Override
    public void pause(Collection<PartitionId> partitions) {
        paused.addAll(partitions);
    }

    @Override
    public void resume(Collection<PartitionId> partitions) {
        paused.removeAll(partitions);
    }

    @Override
    public boolean acknowledge(Map<PartitionId, Long> next) {
        boolean all = true;
        for (Map.Entry<PartitionId, Long> entry : next.entrySet()) {
            PartitionConsumer consumer = active.get(entry.getKey());
            if (consumer == null) {
                all = false;
                continue;
            }
            // Fenced as the relay is: the lease must be valid on this instance's clock right before acknowledging.
            if (!ownership.isValid(consumer.partition(), consumer.epoch())) {
                ownershipLog.accept(event(consumer.partition(), consumer.epoch(), OwnershipEvent.Kind.REFUSED, 0,
                    entry.getValue() - 1));
                all = false;
                continue;
            }
            try {
                long[] covered = consumer.acknowledgeBelow(entry.getValue());
                if (covered != null) {
                    ownershipLog.accept(event(consumer.partition(), consumer.epoch(), OwnershipEvent.Kind.ACKNOWLEDGED,
                        covered[0], covered[1]));
                }
            } catch (RuntimeException e) {
                log.debug("projector {}: acknowledgement of {} not sent: {}", group, entry.getKey(), e.toString());
                all = false;
            }
        }
        return all;
    }

    @Override
    public long lag() {
        long lag = 0;
        for (PartitionConsumer consumer : active.values()) {
            Deque<Message> queue = waiting.get(consumer.partition());
            lag += consumer.pending() + (queue == null ? 0 : queue.size());
        }
        return lag;
    }

    @Override
    public void wakeup() {
        deliveries.add(WAKE_UP);
    }

    /** Hands every partition back at once: the engine acknowledged what is done; the leases are released. */
    @Override
    public void close() {
        if (ownership == null) {
            return;
        }
        try {
            List<PartitionId> all = List.copyOf(active.keySet());
            if (!all.isEmpty()) {
                engine.revoked(all);
                awaitAcknowledgementsApplied(all);
            }
            all.forEach(p -> ownershipLog.accept(event(p, drop(p).epoch(), OwnershipEvent.Kind.REVOKED, 0, 0)));
        } finally {
            // Whatever failed above, the leases go (others take over at once) and the connection closes.
            ownership.close();
            closeConnection();
        }
    }

    /** As a crash: no acknowledgement, no release; the leases expire and others start at the ack floors. */
    @Override
    public void abandon() {
        if (ownership == null) {
            return;
        }
        ownership.kill();
        closeConnection();
    }

    private void closeConnection() {
        try {
            connection.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private OwnershipEvent event(PartitionId partition, long epoch, OwnershipEvent.Kind kind, long from, long to) {
        Instant now = Instant.now();
        return new OwnershipEvent(instanceId, partition, epoch, kind, from, to, System.nanoTime(),
            now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000);
    }

    /** Changes of ownership at INFO; every delivery, write and acknowledgement at DEBUG, on a logger of its own. */
    private static void logEvent(OwnershipEvent event) {
        switch (event.kind()) {
            case DELIVERED, WRITTEN, ACKNOWLEDGED -> ownershipLogger.debug("ownership {}", event);
            default -> ownershipLogger.info("ownership {}", event);
        }
    }
}
