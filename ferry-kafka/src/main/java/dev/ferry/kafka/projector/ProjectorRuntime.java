package dev.ferry.kafka.projector;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ferry.core.event.Event;
import dev.ferry.core.projection.HandlerContext;
import dev.ferry.core.projection.ParkedEvents;
import dev.ferry.core.projection.ParkedEvents.ParkedEvent;
import dev.ferry.core.projection.Projection;
import dev.ferry.core.projection.ReadModelChange;
import dev.ferry.core.projection.ReadModelWriter;
import dev.ferry.kafka.publish.KafkaSettings;
import dev.ferry.kafka.publish.TopicProvisioner;
import dev.ferry.kafka.wire.EventJsonDecoder;

/**
 * One projector instance: a member of the projection's consumer group that applies events to the read model.
 * <ul>
 *   <li>Aggregates of a partition run in parallel, each aggregate strictly in order ({@link AggregateLanes});
 *       offsets are committed only below the lowest unfinished record, after its read-model write succeeded.</li>
 *   <li>A failing event is retried with backoff in its aggregate's lane only; after the retry budget it is parked
 *       together with every later event of that aggregate; other aggregates go on.</li>
 *   <li>When a dependency's circuit breaker opens, the partitions whose events hit it are paused; the waiting
 *       event probes at the breaker's interval, and all are resumed once a probe succeeds. The consumer thread
 *       keeps polling throughout, so the instance stays in the group.</li>
 * </ul>
 */
public final class ProjectorRuntime implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ProjectorRuntime.class);
    private static final Duration POLL = Duration.ofMillis(100);
    /** Most events of one aggregate handled, and written, together. */
    private static final int MAX_RUN = 500;

    private final Projection projection;
    private final ReadModelWriter writer;
    private final ParkedEvents parkedEvents;
    private final ProjectorSettings settings;
    private final KafkaSettings kafka;
    private final String instanceId;
    private final EventJsonDecoder decoder = new EventJsonDecoder();
    private final DependencyBreakers breakers;
    private final AggregateLanes<LaneItem> lanes;
    private final Thread consumerThread;

    private final Map<TopicPartition, PartitionOffsets> partitions = new ConcurrentHashMap<>();
    private final Set<TopicPartition> breakerPaused = ConcurrentHashMap.newKeySet();
    private final Set<String> parkedAggregates = ConcurrentHashMap.newKeySet();
    private final ConcurrentLinkedQueue<Runnable> consumerActions = new ConcurrentLinkedQueue<>();
    private final AtomicLong applied = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong parkedCount = new AtomicLong();
    private final Set<String> inProgress = ConcurrentHashMap.newKeySet();
    private volatile KafkaConsumer<String, byte[]> consumer;
    private volatile boolean running = true;
    private volatile boolean killed;
    private boolean backpressurePaused;
    private volatile long lag;

    public ProjectorRuntime(Projection projection, ReadModelWriter writer, ParkedEvents parkedEvents,
                            ProjectorSettings settings, KafkaSettings kafka, String instanceId) {
        this.projection = Objects.requireNonNull(projection, "projection");
        this.writer = Objects.requireNonNull(writer, "writer");
        this.parkedEvents = Objects.requireNonNull(parkedEvents, "parkedEvents");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.kafka = Objects.requireNonNull(kafka, "kafka");
        this.instanceId = Objects.requireNonNull(instanceId, "instanceId");
        this.breakers = new DependencyBreakers(settings.breaker());
        this.lanes = new AggregateLanes<>(settings.laneThreads(), projection.name() + "-" + instanceId, MAX_RUN,
            this::handleLane);
        this.consumerThread = new Thread(this::consume, "projector-" + projection.name() + "-" + instanceId);
    }

    /** The consumer group of a projection. */
    public static String groupId(Projection projection) {
        return "ferry-projection-" + projection.name();
    }

    public void start() {
        try (TopicProvisioner topics = new TopicProvisioner(kafka)) {
            topics().forEach(topics::ensure);
        }
        consumerThread.start();
    }

    public ProjectorStatus status() {
        return new ProjectorStatus(names(partitions.keySet()), names(breakerPaused), applied.get(), duplicates.get(),
            parkedCount.get(), breakers.states(), lag);
    }

    /** Leaves the group gracefully: finishes what runs, commits, then hands the partitions over. */
    @Override
    public void close() {
        running = false;
        KafkaConsumer<String, byte[]> current = consumer;
        if (current != null) {
            current.wakeup();
        }
        join();
        lanes.close();
    }

    /** Dies as a crashed process would: no commit, no leave; the group moves its partitions after the session timeout. */
    public void kill() {
        killed = true;
        running = false;
        lanes.close();
        KafkaConsumer<String, byte[]> current = consumer;
        if (current != null) {
            current.wakeup();
        }
        join();
    }

    private void join() {
        try {
            consumerThread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private List<String> topics() {
        return projection.aggregateTypes().stream().map(kafka.topicNaming()::topicFor).sorted().toList();
    }

    // ---- consumer thread ----

    private void consume() {
        KafkaConsumer<String, byte[]> kafkaConsumer = new KafkaConsumer<>(consumerConfig(), new StringDeserializer(),
            new ByteArrayDeserializer());
        try {
            consumer = kafkaConsumer;
            kafkaConsumer.subscribe(topics(), new Rebalance());
            refreshParkedAggregates();
            long nextCommit = 0;
            long nextRequests = 0;
            while (running) {
                try {
                    runConsumerActions();
                    applyBackpressure();
                    for (ConsumerRecord<String, byte[]> record : kafkaConsumer.poll(POLL)) {
                        dispatch(record);
                    }
                    long now = System.nanoTime();
                    if (now - nextCommit >= 0) {
                        lag = kafkaConsumer.assignment().stream()
                            .mapToLong(p -> kafkaConsumer.currentLag(p).orElse(0)).sum();
                        commit(partitions.keySet());
                        nextCommit = now + settings.commitInterval().toNanos();
                    }
                    if (now - nextRequests >= 0) {
                        handleOperatorRequests();
                        nextRequests = now + settings.requestPoll().toNanos();
                    }
                } catch (WakeupException woken) {
                    // close() or kill() woke whichever consumer call was blocking (a poll or a commit): stop reading;
                    // the wake-up is used up, so the final commit below still goes through.
                    break;
                }
            }
            if (!killed) {
                awaitLanes(Duration.ofSeconds(10));
                commit(partitions.keySet());
            }
        } catch (RuntimeException e) {
            if (!killed) {
                log.error("projector {} instance {} stopped: {}", projection.name(), instanceId, e.toString(), e);
            }
        } finally {
            // A killed instance stays in the group, as a crashed process would: its partitions move only when
            // the group notices it is gone (the session timeout).
            kafkaConsumer.close(killed
                ? CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP)
                    .withTimeout(Duration.ZERO)
                : CloseOptions.timeout(Duration.ofSeconds(30)));
            consumer = null;
        }
    }

    private Map<String, Object> consumerConfig() {
        Map<String, Object> config = new HashMap<>(kafka.clientProperties());
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, groupId(projection));
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, projection.name() + "-" + instanceId);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // Classic protocol: cooperative-sticky moves only what must move; a short session timeout moves a dead
        // instance's partitions in seconds. (KIP-848's timeout is set on the broker instead.)
        config.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        config.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) settings.sessionTimeout().toMillis());
        config.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) Math.max(500, settings.sessionTimeout().toMillis() / 4));
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1000);
        return config;
    }

    private void dispatch(ConsumerRecord<String, byte[]> record) {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        PartitionOffsets offsets = partitions.computeIfAbsent(partition, p -> new PartitionOffsets());
        offsets.add(record.offset());
        String aggregateKey = aggregateKey(record);
        lanes.submit(aggregateKey, new LaneItem.Delivered(record, offsets));
    }

    /** {@code type/id}, from the topic and the record key, so that even an undecodable record has its aggregate. */
    private String aggregateKey(ConsumerRecord<String, byte[]> record) {
        String type = record.topic().substring(kafka.topicNaming().prefix().length());
        return type + "/" + record.key();
    }

    private void runConsumerActions() {
        for (Runnable action = consumerActions.poll(); action != null; action = consumerActions.poll()) {
            action.run();
        }
    }

    /** Stops fetching while too much is buffered in the lanes. */
    private void applyBackpressure() {
        Set<TopicPartition> assigned = consumer.assignment();
        if (!backpressurePaused && lanes.queued() >= settings.maxBuffered()) {
            consumer.pause(assigned);
            backpressurePaused = true;
        } else if (backpressurePaused && lanes.queued() < settings.maxBuffered() / 2) {
            Set<TopicPartition> resume = new HashSet<>(assigned);
            resume.removeAll(breakerPaused);
            consumer.resume(resume);
            backpressurePaused = false;
        }
    }

    private void commit(Collection<TopicPartition> which) {
        Map<TopicPartition, OffsetAndMetadata> commits = new HashMap<>();
        Map<TopicPartition, Long> marks = new HashMap<>();
        for (TopicPartition partition : which) {
            PartitionOffsets offsets = partitions.get(partition);
            long committable = offsets == null ? -1 : offsets.committable();
            if (committable >= 0) {
                commits.put(partition, new OffsetAndMetadata(committable));
                marks.put(partition, committable);
            }
        }
        if (commits.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(commits);
            marks.forEach((partition, offset) -> {
                PartitionOffsets offsets = partitions.get(partition);
                if (offsets != null) {
                    offsets.committed(offset);
                }
            });
        } catch (RebalanceInProgressException | CommitFailedException | RetriableException e) {
            // Not committed this time: the offsets stay tracked and the next commit carries them, or the records
            // are re-delivered to the next owner, where the version check skips them.
            log.debug("projector {}: commit deferred: {}", projection.name(), e.toString());
        }
    }

    private void awaitLanes(Duration atMost) {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (lanes.queued() > 0 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
            // Commit what is done; what is not done is abandoned and re-delivered to the next owner, where the
            // version check turns anything we still finish into a duplicate.
            revoked.forEach(p -> {
                PartitionOffsets offsets = partitions.get(p);
                if (offsets != null) {
                    offsets.revoke();
                }
            });
            if (!killed) {
                commit(revoked);
            }
            revoked.forEach(partitions::remove);
            breakerPaused.removeAll(revoked);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> lost) {
            lost.forEach(p -> {
                PartitionOffsets offsets = partitions.remove(p);
                if (offsets != null) {
                    offsets.revoke();
                }
            });
            breakerPaused.removeAll(lost);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
            if (!assigned.isEmpty()) {
                refreshParkedAggregates();
            }
            if (backpressurePaused) {
                consumer.pause(assigned);
            }
        }
    }

    /** Learns of aggregates parked by any instance; entries are confirmed against the store when used. */
    private void refreshParkedAggregates() {
        parkedAggregates.addAll(parkedEvents.parkedAggregates(projection.name()));
    }

    /** Parked here or elsewhere and not yet retried (a stale local entry is dropped on the way). */
    private boolean isParked(String aggregateKey) {
        if (!parkedAggregates.contains(aggregateKey)) {
            return false;
        }
        if (parkedEvents.parked(projection.name(), aggregateKey).isEmpty()) {
            parkedAggregates.remove(aggregateKey);
            return false;
        }
        return true;
    }

    // ---- lanes ----

    /** What waits in an aggregate's lane: a record to project, or an operator's request to carry out in order. */
    private sealed interface LaneItem {
        record Delivered(ConsumerRecord<String, byte[]> record, PartitionOffsets offsets) implements LaneItem {
            TopicPartition partition() {
                return new TopicPartition(record.topic(), record.partition());
            }

            void finish() {
                offsets.finish(record.offset());
            }
        }

        record Action(Runnable task) implements LaneItem {
        }
    }

    /** A decoded event and its handler's change, waiting to be written with the rest of its run. */
    private record Handled(LaneItem.Delivered delivered, Event event, ReadModelChange change) {
    }

    /** One batch of an aggregate's lane: consecutive records are projected as a run, requests run in their place. */
    private void handleLane(String aggregateKey, List<LaneItem> batch) {
        List<LaneItem.Delivered> run = new ArrayList<>();
        for (LaneItem item : batch) {
            if (item instanceof LaneItem.Delivered delivered) {
                run.add(delivered);
            } else if (item instanceof LaneItem.Action action) {
                project(aggregateKey, run);
                run = new ArrayList<>();
                action.task().run();
            }
        }
        project(aggregateKey, run);
    }

    /**
     * Projects consecutive records of one aggregate: handlers run in order, and the changes are written together in
     * one version-checked write. Whatever needs a record on its own (undecodable, parked, a failing handler) first
     * writes what came before it, so the aggregate's order holds.
     */
    private void project(String aggregateKey, List<LaneItem.Delivered> run) {
        List<Handled> ready = new ArrayList<>();
        for (LaneItem.Delivered delivered : run) {
            if (delivered.offsets().isRevoked() || killed) {
                continue; // not ours any more: not finished, not committed, re-delivered to the new owner
            }
            Event event;
            try {
                event = decoder.decode(delivered.record().value());
            } catch (EventJsonDecoder.UndecodableEvent poison) {
                // Documented rule: an undecodable record is parked with its raw value, and its aggregate with it.
                write(aggregateKey, ready);
                ready = new ArrayList<>();
                park(aggregateKey, null, delivered.record(), poison.getMessage(), "", 0);
                delivered.finish();
                continue;
            }
            if (isParked(aggregateKey)) {
                write(aggregateKey, ready);
                ready = new ArrayList<>();
                parkBehind(aggregateKey, event, delivered);
                continue;
            }
            try {
                ready.add(new Handled(delivered, event, projection.apply(event, context(event))));
            } catch (Exception failed) {
                write(aggregateKey, ready);
                ready = new ArrayList<>();
                if (applyWithRetries(event, delivered, aggregateKey, failed)) {
                    delivered.finish();
                }
            }
        }
        write(aggregateKey, ready);
    }

    /** Writes handled events of one aggregate as one run; if the write fails, each goes the retrying way alone. */
    private void write(String aggregateKey, List<Handled> handledEvents) {
        // Records whose assignment ended meanwhile are abandoned: the partition's next owner gets them again.
        List<Handled> ready = handledEvents.stream().filter(h -> !h.delivered().offsets().isRevoked()).toList();
        if (ready.isEmpty() || killed) {
            return;
        }
        List<ReadModelWriter.Outcome> outcomes;
        try {
            outcomes = writer.applyRun(projection, ready.stream()
                .map(handled -> new ReadModelWriter.Step(handled.event(), handled.change())).toList());
        } catch (RuntimeException e) {
            for (Handled handled : ready) {
                if (isParked(aggregateKey)) {
                    parkBehind(aggregateKey, handled.event(), handled.delivered());
                } else if (applyWithRetries(handled.event(), handled.delivered(), aggregateKey, null)) {
                    handled.delivered().finish();
                }
            }
            return;
        }
        if (!breakerPaused.isEmpty() && breakerPaused.contains(ready.get(0).delivered().partition())) {
            resumeBreakerPaused();
        }
        for (int i = 0; i < ready.size(); i++) {
            Handled handled = ready.get(i);
            switch (outcomes.get(i)) {
                case APPLIED -> applied.incrementAndGet();
                case DUPLICATE -> duplicates.incrementAndGet();
                case GAP -> {
                    if (isParked(aggregateKey)) {
                        parkBehind(aggregateKey, handled.event(), handled.delivered());
                        continue;
                    }
                    parkGap(aggregateKey, handled.event(), handled.delivered(), 1);
                }
            }
            handled.delivered().finish();
        }
    }

    private void parkBehind(String aggregateKey, Event event, LaneItem.Delivered delivered) {
        park(aggregateKey, event, delivered.record(), "parked behind an earlier parked event of this aggregate", "", 0);
        delivered.finish();
    }

    private void parkGap(String aggregateKey, Event event, LaneItem.Delivered delivered, int attempts) {
        park(aggregateKey, event, delivered.record(), "gap: the read model of " + aggregateKey + " is at version "
            + writer.version(projection, event.aggregateId()) + ", this event is version " + event.version(), "", attempts);
    }

    /**
     * One event on its own, retried with backoff and parked after the retry budget.
     *
     * @param failed the failure of a first attempt already made, or null
     * @return true if the record is finished (applied, duplicate or parked); false if abandoned
     */
    private boolean applyWithRetries(Event event, LaneItem.Delivered delivered, String aggregateKey, Exception failed) {
        TopicPartition partition = delivered.partition();
        int attempts = 0;
        while (true) {
            if (delivered.offsets().isRevoked() || killed) {
                return false;
            }
            try {
                if (failed != null) {
                    Exception first = failed;
                    failed = null;
                    throw first;
                }
                ReadModelWriter.Outcome outcome = writer.apply(projection, event, projection.apply(event, context(event)));
                if (breakerPaused.contains(partition)) {
                    resumeBreakerPaused();
                }
                switch (outcome) {
                    case APPLIED -> applied.incrementAndGet();
                    case DUPLICATE -> duplicates.incrementAndGet();
                    case GAP -> parkGap(aggregateKey, event, delivered, attempts + 1);
                }
                return true;
            } catch (DependencyBreakers.DependencyUnavailable down) {
                // Not this event's fault: pause the partition, probe at the breaker's interval, no attempt spent.
                pauseForBreaker(partition);
                LockSupport.parkNanos(breakers.openFor().toNanos());
            } catch (Exception e) {
                attempts++;
                if (attempts >= settings.retry().maxAttempts()) {
                    park(aggregateKey, event, delivered.record(), e.toString(), stackSummary(e), attempts);
                    return true;
                }
                LockSupport.parkNanos(settings.retry().backoffAfter(attempts).toNanos());
            }
        }
    }

    private HandlerContext context(Event event) {
        return new HandlerContext() {
            @Override
            public String idempotencyKey() {
                return event.eventId();
            }

            @Override
            public <T> T call(String dependency, Callable<T> call) throws Exception {
                return breakers.call(dependency, call);
            }
        };
    }

    private void pauseForBreaker(TopicPartition partition) {
        if (breakerPaused.add(partition)) {
            log.warn("projector {}: a dependency is down; pausing {} until a probe succeeds", projection.name(), partition);
            consumerActions.add(() -> {
                if (consumer.assignment().contains(partition)) {
                    consumer.pause(Set.of(partition));
                }
            });
        }
    }

    private void resumeBreakerPaused() {
        Set<TopicPartition> resume = new HashSet<>(breakerPaused);
        breakerPaused.removeAll(resume);
        log.info("projector {}: dependency back; resuming {}", projection.name(), resume);
        consumerActions.add(() -> {
            Set<TopicPartition> owned = new HashSet<>(resume);
            owned.retainAll(consumer.assignment());
            if (!backpressurePaused) {
                consumer.resume(owned);
            }
        });
    }

    private void park(String aggregateKey, Event event, ConsumerRecord<String, byte[]> record, String error, String stack,
                      int attempts) {
        parkedAggregates.add(aggregateKey);
        ParkedEvent parked = new ParkedEvent(aggregateKey, event, error, stack, attempts, record.topic(),
            record.partition(), record.offset(),
            event == null && record.value() != null ? new String(record.value(), StandardCharsets.UTF_8) : null,
            Instant.now());
        // Parking must not fail: a record that is neither applied nor parked would hold its partition's commit back.
        for (int attempt = 1; ; attempt++) {
            try {
                parkedEvents.park(projection.name(), parked);
                break;
            } catch (RuntimeException e) {
                if (!running || killed) {
                    throw e; // stopping: the record stays unfinished and is re-delivered to the next owner
                }
                log.warn("projector {}: cannot park {} yet (attempt {}): {}", projection.name(), aggregateKey, attempt,
                    e.toString());
                LockSupport.parkNanos(settings.retry().backoffAfter(Math.min(attempt, 10)).toNanos());
            }
        }
        parkedCount.incrementAndGet();
        if (attempts > 0 || event == null) {
            log.warn("projector {}: parked {} ({}){}", projection.name(), aggregateKey, error,
                event == null ? "" : " at version " + event.version());
        }
    }

    private static String stackSummary(Throwable e) {
        StringWriter out = new StringWriter();
        e.printStackTrace(new PrintWriter(out));
        String[] lines = out.toString().split("\n");
        return String.join("\n", java.util.Arrays.copyOf(lines, Math.min(lines.length, 8)));
    }

    // ---- operators' requests ----

    private void handleOperatorRequests() {
        List<ParkedEvents.PendingRequest> pending;
        try {
            pending = parkedEvents.pendingRequests(projection.name());
        } catch (RuntimeException e) {
            log.warn("projector {}: cannot read operator requests: {}", projection.name(), e.toString());
            return;
        }
        Set<TopicPartition> owned = partitions.keySet();
        for (ParkedEvents.PendingRequest request : pending) {
            List<ParkedEvent> parked = parkedEvents.parked(projection.name(), request.aggregateKey());
            if (parked.isEmpty()) {
                parkedEvents.complete(projection.name(), request, "nothing parked");
                continue;
            }
            TopicPartition partition = new TopicPartition(parked.get(0).topic(), parked.get(0).partition());
            if (owned.contains(partition) && inProgress.add(request.id())) {
                // In the aggregate's lane: serialized with its live events, which wait behind.
                lanes.submit(request.aggregateKey(), new LaneItem.Action(() -> carryOut(request)));
            }
        }
    }

    private void carryOut(ParkedEvents.PendingRequest request) {
        String key = request.aggregateKey();
        List<ParkedEvent> parked = new ArrayList<>(parkedEvents.parked(projection.name(), key));
        String result;
        try {
            if (request.request() == ParkedEvents.Request.SKIP_FIRST && !parked.isEmpty()) {
                ParkedEvent first = parked.remove(0);
                if (first.event() != null) {
                    writer.skip(projection, first.event(), "skipped by an operator");
                }
                parkedEvents.remove(projection.name(), first);
            }
            result = retryParked(key, parked);
        } catch (RuntimeException e) {
            result = "failed: " + e;
        }
        parkedEvents.complete(projection.name(), request, result);
        inProgress.remove(request.id());
        log.info("projector {}: {} of {}: {}", projection.name(), request.request(), key, result);
    }

    private String retryParked(String key, List<ParkedEvent> parked) {
        int done = 0;
        for (ParkedEvent event : parked) {
            if (event.event() == null) {
                return "stopped at an undecodable record (offset " + event.offset() + "); skip it to go on; "
                    + done + " applied";
            }
            try {
                ReadModelWriter.Outcome outcome = writer.apply(projection, event.event(),
                    projection.apply(event.event(), context(event.event())));
                if (outcome == ReadModelWriter.Outcome.GAP) {
                    return "stopped at version " + event.event().version() + ": the read model is at "
                        + writer.version(projection, event.event().aggregateId()) + "; " + done + " applied";
                }
                if (outcome == ReadModelWriter.Outcome.APPLIED) {
                    applied.incrementAndGet();
                }
                parkedEvents.remove(projection.name(), event);
                done++;
            } catch (Exception e) {
                return "stopped at version " + event.event().version() + ": " + e + "; " + done + " applied";
            }
        }
        parkedAggregates.remove(key);
        return "all " + done + " parked events applied; the aggregate is live again";
    }

    private static Set<String> names(Set<TopicPartition> partitions) {
        return partitions.stream().map(TopicPartition::toString).collect(Collectors.toCollection(java.util.TreeSet::new));
    }
}
