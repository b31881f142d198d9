package dev.ferry.engine.ownership;

import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ferry.core.lease.LeaseStore;
import dev.ferry.core.lease.LeaseTiming;
import dev.ferry.core.lease.Leadership;
import dev.ferry.core.subscription.PartitionId;

/**
 * Which partitions this instance owns, through one lease per partition, for a transport without consumer groups of
 * its own (NATS JetStream): its subscription consumes what is held here and checks the lease before every write and
 * acknowledgement. Each lease is the relay's {@link Leadership}, so an owner is fenced exactly as a relay leader is:
 * it trusts its lease only until {@code ttl - margin} after its last renewal on its own clock, and a rival takes the
 * lease only after seeing it unchanged for the TTL.
 * <p>
 * Balance: the live members ({@link GroupMembership}) sorted by id, this instance's rank {@code r} of {@code n}, its
 * quota is {@code U/n}, plus one if {@code r < U % n} ({@code U} partitions in all), so the quotas add up to U. Above
 * its quota an instance asks its polling thread to hand partitions back (revoke, acknowledge, release); below it, it
 * contends for partitions that are free or whose owner is not alive. A balancing thread decides; the polling thread
 * of the subscription alone starts and stops consuming, so hand-over stays ordered.
 */
public final class LeasedPartitionOwnership implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LeasedPartitionOwnership.class);

    private final LeaseStore leases;
    private final String group;
    private final String instanceId;
    private final LeaseTiming timing;
    private final List<PartitionId> partitions;
    private final GroupMembership membership;
    private final Leadership member;
    private final Map<PartitionId, Leadership> contended = new ConcurrentHashMap<>();
    private final Set<PartitionId> releaseRequested = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService balancer;

    /**
     * @param group      names the leases: {@code <group>.member.<instanceId>} and {@code <group>.partition.<partition>}
     * @param partitions every partition of the group's types, whoever owns them
     */
    public LeasedPartitionOwnership(LeaseStore leases, String group, String instanceId, LeaseTiming timing,
                                    List<PartitionId> partitions) {
        this.leases = leases;
        this.group = group;
        this.instanceId = instanceId;
        this.timing = timing;
        this.partitions = partitions.stream().sorted(PartitionBalance.ORDER).toList();
        this.membership = new GroupMembership(leases, group, timing.ttl().toNanos(), System::nanoTime);
        this.member = new Leadership(leases, memberLeaseName(group, instanceId), instanceId, timing);
        this.balancer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "partitions-" + group + "-" + instanceId);
            thread.setDaemon(true);
            return thread;
        });
    }

    /** The lease document of a partition (persisted: never renamed). */
    public static String leaseName(String group, PartitionId partition) {
        return group + ".partition." + partition;
    }

    /** The lease document of a member of the group (persisted: never renamed). */
    public static String memberLeaseName(String group, String instanceId) {
        return GroupMembership.memberPrefix(group) + instanceId;
    }

    public void start() {
        member.start();
        balancer.scheduleWithFixedDelay(this::balanceSafely, 0, timing.checkInterval().toMillis() * 2,
            TimeUnit.MILLISECONDS);
    }

    /** The epoch this instance owns the partition in, if its lease is valid now. */
    public OptionalLong epoch(PartitionId partition) {
        Leadership lease = contended.get(partition);
        return lease == null ? OptionalLong.empty() : lease.currentEpoch();
    }

    public boolean isValid(PartitionId partition, long epoch) {
        Leadership lease = contended.get(partition);
        return lease != null && lease.isValid(epoch);
    }

    /** Partitions whose lease is valid now. */
    public List<PartitionId> held() {
        return partitions.stream().filter(p -> epoch(p).isPresent()).toList();
    }

    /** Partitions the balance wants handed back. */
    public Set<PartitionId> releaseRequested() {
        return Set.copyOf(releaseRequested);
    }

    /** Gives the lease up (after the polling thread revoked the partition and acknowledged what is done). */
    public void release(PartitionId partition) {
        Leadership lease = contended.remove(partition);
        releaseRequested.remove(partition);
        if (lease != null) {
            lease.close();
        }
    }

    /**
     * Gives up the lease the partition was owned under at {@code epoch}, also when it already ran out: a lease that
     * stepped down (not renewed in time) is not released by its {@link Leadership}, and would stay in the store under
     * this live instance's name, where no rival contends for it. Released only if still exactly ours at that epoch; a
     * lease held again at a newer epoch is kept.
     */
    public void release(PartitionId partition, long epoch) {
        OptionalLong current = epoch(partition);
        if (current.isPresent() && current.getAsLong() > epoch) {
            // Taken again since, at a newer epoch (the lease stepped down, then its Leadership won it back): that one
            // stays, and the polling thread starts it afresh from the ack floor. The older epoch is no longer in the
            // store to release.
            return;
        }
        release(partition);
        try {
            leases.release(leaseName(group, partition), instanceId, epoch);
        } catch (RuntimeException e) {
            log.warn("partitions of {}: instance {} cannot release {} now ({}); it contends for it again",
                group, instanceId, partition, e.toString());
        }
    }

    /** Stops balancing and releases every lease, so others take over at once. */
    @Override
    public void close() {
        balancer.shutdownNow();
        awaitBalancer();
        contended.values().forEach(Leadership::close);
        contended.clear();
        member.close();
    }

    /** Stops without releasing anything, as a crash would: others take over once the leases expire. */
    public void kill() {
        balancer.shutdownNow();
        awaitBalancer();
        contended.values().forEach(Leadership::kill);
        member.kill();
    }

    private void awaitBalancer() {
        try {
            balancer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void balanceSafely() {
        try {
            balance();
        } catch (RuntimeException e) {
            log.warn("partitions of {}: instance {} cannot balance now: {}", group, instanceId, e.toString());
        }
    }

    private void balance() {
        List<PartitionId> held = held();
        List<PartitionId> contending = contended.keySet().stream().filter(p -> !held.contains(p)).toList();
        PartitionBalance.Decision decision = PartitionBalance.decide(partitions, membership.alive(instanceId),
            instanceId, held, Set.copyOf(releaseRequested), contending, p -> leases.read(leaseName(group, p)));
        releaseRequested.addAll(decision.release());
        decision.stopContending().forEach(this::stopContending);
        decision.contend().forEach(this::contend);
    }

    private void contend(PartitionId partition) {
        // A contender given up this round that won meanwhile is kept by stopContending: never start a second one.
        if (!contended.containsKey(partition)) {
            Leadership contender = new Leadership(leases, leaseName(group, partition), instanceId, timing);
            contended.put(partition, contender);
            contender.start();
        }
    }

    private void stopContending(PartitionId partition) {
        Leadership lease = contended.get(partition);
        if (lease != null && lease.currentEpoch().isEmpty()) {
            contended.remove(partition);
            lease.close(); // releases only if it won meanwhile: the polling thread then sees the partition lost
        }
    }
}
