package dev.ferry.app.run;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ferry.app.wiring.Components;
import dev.ferry.app.wiring.ReplicaWriters;
import dev.ferry.config.ConfigError;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.TargetConfig;
import dev.ferry.core.wire.EntityJson;
import dev.ferry.core.wire.EventJson;
import dev.ferry.engine.ChangeNotifier;
import dev.ferry.engine.ProcessorSettings;
import dev.ferry.engine.ProcessorStatus;
import dev.ferry.engine.ReplicationProcessor;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ferry replicate}: a replicator instance of every configured target (or those named): per target, the engine
 * over the entities' topics in a consumer group of its own — so one target's outage never stalls another's — writing
 * the replica by version, never back in time. Run several instances; partitions spread over them.
 */
@Command(name = "replicate", mixinStandardHelpOptions = true,
    description = "Run a replicator instance that keeps the configured targets' replicas of the entities.")
public final class ReplicateCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(ReplicateCommand.class);

    @Mixin
    ConfigOption config;

    @Option(names = "--target", description = "Replicate only this target (repeatable); default: every target.")
    List<String> only = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        FerryConfig settings = config.load();
        List<TargetConfig> targets = selected(settings);
        String names = targets.stream().map(TargetConfig::name).collect(Collectors.joining(", "));
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // Waits for MongoDB and the transport, not for the targets: a replicator starts with a target down and pauses
        // only that target's partitions until it answers, so one target's outage never holds up another's.
        ServiceLifecycle.serve(settings, "replicator", "ferry replicate " + names, metrics, admin -> {
            Components components = ServiceLifecycle.components(settings);
            String instanceId = Components.newInstanceId();
            List<AutoCloseable> resources = new ArrayList<>();
            List<Replicator> replicators = new ArrayList<>();
            Duration stallTimeout = settings.admin().stallTimeoutDuration();
            for (TargetConfig target : targets) {
                ReplicaWriters.Opened writer = ReplicaWriters.open(target, settings.mongodb().uri());
                ReplicationProcessor processor = components.replicator(target.name(),
                    new LinkedHashSet<>(target.entities()), writer.writer(), notifier(target),
                    ProcessorSettings.DEFAULT.withLaneThreads(target.lanes()), instanceId);
                replicators.add(new Replicator(target, processor));
                bindMetrics(target.name(), processor, metrics, stallTimeout);
                resources.add(processor);
                resources.add(writer);
            }
            ScheduledExecutorService purge = purgeTombstones(targets, resources);
            replicators.forEach(replicator -> replicator.processor().start());
            admin.serveParked(components.parkedEvents());
            List<AutoCloseable> work = new ArrayList<>();
            work.add(purge::shutdownNow);
            work.addAll(resources); // each processor before its writer: it finishes its writes first
            return new ServiceLifecycle.Running("ferry replicate " + names + ": instance " + instanceId + " started",
                () -> statusJson(replicators, instanceId), now -> replicators.stream()
                    .anyMatch(replicator -> replicator.processor().status().stalled(now, stallTimeout)),
                work, List.of(components), () -> replicators.stream().map(r -> r.processor().status())
                    .filter(ProcessorStatus::ended).map(ProcessorStatus::failure).findFirst().orElse(null));
        });
        return 0;
    }

    private List<TargetConfig> selected(FerryConfig settings) {
        if (settings.targets().isEmpty()) {
            throw new ConfigError("targets is missing: expected the replicas to keep, e.g. [{kind: mongodb, name: "
                + "replica, database: replica, entities: [patient]}]");
        }
        List<String> names = settings.targets().stream().map(TargetConfig::name).toList();
        for (String name : only) {
            if (!names.contains(name)) {
                throw new ConfigError("--target: no target named '" + name + "'; targets: " + names);
            }
        }
        return settings.targets().stream().filter(target -> only.isEmpty() || only.contains(target.name())).toList();
    }

    private static ChangeNotifier notifier(TargetConfig target) {
        if (target.notifyUrl().isEmpty()) {
            return null;
        }
        RestNotification notification = new RestNotification(target.notifyUrl());
        return (change, idempotencyKey) -> notification.post(EntityJson.encode(change), idempotencyKey);
    }

    /** Removes tombstones past their retention now and then; a failure waits for the next round. */
    private static ScheduledExecutorService purgeTombstones(List<TargetConfig> targets, List<AutoCloseable> resources) {
        ScheduledExecutorService purge = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "tombstone-purge");
            thread.setDaemon(true);
            return thread;
        });
        purge.scheduleWithFixedDelay(() -> resources.stream().filter(r -> r instanceof ReplicaWriters.Opened)
            .map(r -> (ReplicaWriters.Opened) r).forEach(opened -> {
                try {
                    long purged = opened.writer().purgeTombstones();
                    if (purged > 0) {
                        log.info("purged {} tombstones past their retention", purged);
                    }
                } catch (RuntimeException e) {
                    log.warn("cannot purge tombstones now: {}", e.toString());
                }
            }), 1, 60, TimeUnit.MINUTES);
        return purge;
    }

    private record Replicator(TargetConfig target, ReplicationProcessor processor) {
    }

    private static void bindMetrics(String target, ReplicationProcessor processor, PrometheusMeterRegistry registry,
                                    Duration stallTimeout) {
        Tags tags = Tags.of("target", target);
        FunctionCounter.builder("ferry.replicator.changes.applied", processor, p -> p.status().applied()).tags(tags)
            .register(registry);
        FunctionCounter.builder("ferry.replicator.changes.duplicate", processor, p -> p.status().duplicates())
            .description("changes skipped because the replica already had them (or a later version)").tags(tags)
            .register(registry);
        FunctionCounter.builder("ferry.replicator.changes.parked", processor, p -> p.status().parked()).tags(tags)
            .register(registry);
        Gauge.builder("ferry.replicator.partitions.assigned", processor, p -> p.status().assigned().size()).tags(tags)
            .register(registry);
        Gauge.builder("ferry.replicator.partitions.paused", processor, p -> p.status().paused().size()).tags(tags)
            .description("partitions paused because the notified dependency's circuit breaker is open").register(registry);
        Gauge.builder("ferry.replicator.lag", processor, p -> p.status().lag()).tags(tags)
            .description("records in the owned partitions not yet fetched").register(registry);
        Gauge.builder("ferry.replicator.stalled", processor, p -> p.status().stalled(Instant.now(), stallTimeout) ? 1 : 0)
            .tags(tags).description("1 while a partition's fetched changes have waited, none finished, or its polling "
                + "thread has failed, for longer than admin.stallTimeout; or once its work ended").register(registry);
    }

    static String statusJson(List<Replicator> replicators, String instanceId) {
        return "{\"component\":\"replicator\",\"instance\":" + EventJson.quote(instanceId) + ",\"targets\":["
            + replicators.stream().map(replicator -> {
                ProcessorStatus status = replicator.processor().status();
                return "{\"target\":" + EventJson.quote(replicator.target().name()) + ",\"kind\":"
                    + EventJson.quote(replicator.target().kind()) + ",\"assignedPartitions\":" + status.assigned().size()
                    + ",\"applied\":" + status.applied() + ",\"duplicates\":" + status.duplicates() + ",\"parked\":"
                    + status.parked() + ",\"lag\":" + status.lag() + ",\"noProgressSince\":"
                    + ServiceLifecycle.jsonInstant(status.waitingSince()) + ",\"failure\":"
                    + EventJson.quote(status.failure()) + ",\"failingSince\":"
                    + ServiceLifecycle.jsonInstant(status.failingSince()) + "}";
            }).collect(Collectors.joining(",")) + "]}";
    }
}
