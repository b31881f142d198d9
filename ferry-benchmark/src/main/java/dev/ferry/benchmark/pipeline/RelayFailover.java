package dev.ferry.benchmark.pipeline;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.bson.Document;

/**
 * Relay failover under load, as Kubernetes would live it: two relays (a leader and a standby) with the default lease
 * settings, a load of {@value #RATE} events/s, and {@code kills} times: kill -9 of the leader, the time to the first
 * record of the new epoch the broker acknowledged, and a replacement relay started, the next kill waiting until it is
 * ready. Then every relay is killed, a backlog appended, and one relay started: its catch-up rate, JIT cold.
 */
final class RelayFailover {

    static final int RATE = 1_000;
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final ProductionLayout layout;
    private final ProductionLayout.Service first;
    private final int kills;
    private final int backlog;
    private final PrintStream progress;
    private final AtomicInteger tags = new AtomicInteger();
    private volatile boolean loading = true;

    RelayFailover(ProductionLayout layout, ProductionLayout.Service first, int kills, int backlog, PrintStream progress) {
        this.layout = layout;
        this.first = first;
        this.kills = kills;
        this.backlog = backlog;
        this.progress = progress;
    }

    FailoverResult run() throws Exception {
        long stepDownsBefore = layout.leaderStepDowns();
        List<ProductionLayout.Service> relays = new ArrayList<>(List.of(first, awaitReady(layout.startRelay())));
        List<FailoverResult.Kill> measured = new ArrayList<>();
        CompletableFuture<Void> load = CompletableFuture.runAsync(this::load);
        try (EpochWatch watch = new EpochWatch(layout)) {
            try {
                for (int kill = 1; kill <= kills; kill++) {
                    measured.add(killLeader(relays, watch, kill));
                }
            } finally {
                loading = false;
                load.join();
            }
            for (ProductionLayout.Service relay : relays) {
                relay.process().kill();
            }
            FailoverResult result = successor(watch, measured, stepDownsBefore);
            if (result.liveLeaderStepDowns() > 0) {
                progress.printf("  a live leader stepped down %d times during the failover scenario (not the kills)%n",
                    result.liveLeaderStepDowns());
            }
            return result;
        }
    }

    private FailoverResult.Kill killLeader(List<ProductionLayout.Service> relays, EpochWatch watch, int kill)
        throws Exception {
        Document lease = lease();
        long epoch = ((Number) lease.get("epoch")).longValue();
        ProductionLayout.Service leader = relays.stream()
            .filter(relay -> relay.instanceId().equals(lease.getString("owner"))).findFirst()
            .orElseThrow(() -> new IllegalStateException("the lease's owner is none of the relays: " + lease));
        watch.awaitEpoch(epoch, TIMEOUT); // the leader is publishing: the kill lands mid-stream
        long killedAt = System.currentTimeMillis();
        leader.process().kill();
        long leaseTaken = awaitLeaseAfter(epoch) - killedAt;
        EpochWatch.First next = watch.awaitAfter(epoch, TIMEOUT);
        FailoverResult.Kill result = new FailoverResult.Kill(leaseTaken, since(next.sentAt(), killedAt),
            since(next.storedAt(), killedAt), next.seenAt() - killedAt);
        progress.printf(Locale.ROOT, "  kill %d/%d: lease taken %.0f ms, %s, acknowledged %.0f ms after kill -9%n", kill,
            kills, result.leaseTakenMillis(), Double.isNaN(result.firstSendMillis())
                ? String.format(Locale.ROOT, "first stored %.0f ms", result.firstStoredMillis())
                : String.format(Locale.ROOT, "first send %.0f ms", result.firstSendMillis()), result.ackedMillis());
        relays.remove(leader);
        if (kill < kills) {
            // The replacement, as Kubernetes would start it; the next kill waits until it is ready (a standby is, once
            // it has rehearsed its takeover), as a rolling update would before it stops the next pod.
            relays.add(awaitReady(layout.startRelay()));
        }
        return result;
    }

    private static ProductionLayout.Service awaitReady(ProductionLayout.Service relay) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!relay.admin().ready()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("relay " + relay.instanceId() + " is not ready after " + TIMEOUT);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        return relay;
    }

    /** Milliseconds from {@code from} to {@code at}; NaN where the transport gives no such time ({@code at} -1). */
    private static double since(long at, long from) {
        return at < 0 ? Double.NaN : at - from;
    }

    /**
     * With no relay running, appends the backlog and starts one relay: its start-up time, and its rate from the
     * creation of its first record to that of the backlog's last (the relay's producer stamps each record; on NATS
     * from the first's store to the last's).
     */
    private FailoverResult successor(EpochWatch watch, List<FailoverResult.Kill> measured, long stepDownsBefore)
        throws Exception {
        progress.printf("  all relays killed; appending a backlog of %,d events...%n", backlog);
        long before = layout.leaseEpoch();
        PipelineBenchmark.appendInParallel(layout.store(), backlog, 300, "b" + tags.incrementAndGet() + "-");
        long startedAt = System.currentTimeMillis();
        layout.startRelay();
        double startSeconds = (System.currentTimeMillis() - startedAt) / 1e3;
        // It re-sends what followed its predecessor's last checkpoint too: at least the backlog.
        Map.Entry<EpochWatch.First, EpochWatch.Span> records = watch.awaitRecordsAfter(before, backlog,
            Duration.ofMinutes(10));
        long firstCreated = records.getKey().publishedAt();
        long lastCreated = records.getValue().lastPublishedAt();
        double fromFirst = records.getValue().records() / (Math.max(1, lastCreated - firstCreated) / 1e3);
        double fromStart = records.getValue().records() / (Math.max(1, lastCreated - startedAt) / 1e3);
        progress.printf(Locale.ROOT, "  successor: started in %.1f s, then %,.0f/s (%,.0f/s counting its start)%n",
            startSeconds, fromFirst, fromStart);
        return new FailoverResult(layout.transport().name().toLowerCase(Locale.ROOT), measured, RATE, backlog, startSeconds, fromFirst, fromStart,
            layout.leaderStepDowns() - stepDownsBefore);
    }

    private Document lease() {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            Document lease = layout.database().getCollection("ferry_leases")
                .find(new Document("_id", ProductionLayout.RELAY_NAME)).first();
            if (lease != null && lease.getString("owner") != null) {
                return lease;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no relay holds the lease after " + TIMEOUT);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    /** Polls the lease document until its epoch moved past {@code epoch}; returns when (wall clock, ms). */
    private long awaitLeaseAfter(long epoch) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (layout.leaseEpoch() <= epoch) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no relay took the lease over within " + TIMEOUT);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
        return System.currentTimeMillis();
    }

    /** The load under the kills: one-second open-loop windows at the rate, each on aggregates of its own. */
    private void load() {
        try {
            while (loading) {
                PipelineBenchmark.appendAtRate(layout.store(), RATE, Duration.ofSeconds(1), "f" + tags.incrementAndGet() + "-");
            }
        } catch (Exception e) {
            throw new IllegalStateException("the failover load failed: " + e.getMessage(), e);
        }
    }
}
