package dev.ferry.app.run;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import dev.ferry.app.wiring.Components;
import dev.ferry.config.ConfigError;
import dev.ferry.config.FerryConfig;
import dev.ferry.core.projection.LatencyObservingWriter;
import dev.ferry.core.projection.Projection;
import dev.ferry.core.projection.ReadModelChange;
import dev.ferry.core.wire.EventJson;
import dev.ferry.engine.ProcessorSettings;
import dev.ferry.engine.ProcessorStatus;
import dev.ferry.engine.ProjectionProcessor;
import dev.ferry.engine.metrics.ProjectorMeters;
import dev.ferry.mongodb.readmodel.MongoReadModelWriter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code ferry project}: a projector instance of the generic "latest state" projection. Users' own projections use
 * the library API ({@link Projection}, {@link ProjectionProcessor} over a transport's subscription).
 */
@Command(name = "project", mixinStandardHelpOptions = true,
    description = "Run a projector instance that materializes each aggregate's latest state into a MongoDB collection.")
public final class ProjectCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws Exception {
        FerryConfig settings = config.load();
        if (settings.projector().aggregateTypes().isEmpty()) {
            throw new ConfigError("projector.aggregateTypes is missing: expected the aggregate types to project, "
                + "e.g. [patient, practitioner]");
        }
        Projection projection = latestState(settings.projector().projection(), settings.projector().aggregateTypes(),
            settings.projector().notifyUrl());
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ServiceLifecycle.serve(settings, "projector", "ferry project " + projection.name(), metrics, admin -> {
            Components components = ServiceLifecycle.components(settings);
            String instanceId = Components.newInstanceId();
            Timer latency = ProjectorMeters.endToEnd(metrics, Tags.empty());
            ProjectionProcessor projector = components.projector(projection, new LatencyObservingWriter(
                    new MongoReadModelWriter(components.database(), settings.projector().applyLog()),
                    millis -> latency.record(millis, TimeUnit.MILLISECONDS)),
                ProcessorSettings.DEFAULT.withLaneThreads(settings.projector().lanes()), instanceId);
            Duration stallTimeout = settings.admin().stallTimeoutDuration();
            bindMetrics(projector, metrics, stallTimeout);
            projector.start();
            admin.serveParked(components.parkedEvents());
            return new ServiceLifecycle.Running("ferry project " + projection.name() + ": instance " + instanceId
                + " started", () -> statusJson(projector, projection, instanceId),
                now -> projector.status().stalled(now, stallTimeout), List.of(projector), List.of(components),
                () -> projector.status().ended() ? projector.status().failure() : null);
        });
        return 0;
    }

    /**
     * The generic projection's rule, by event type name: {@code *Created} / {@code *Registered} set the full state,
     * {@code *Deleted} / {@code *Removed} / {@code *Discharged} remove the document, every other type merges its
     * payload into the state. With a {@code notifyUrl}, each event is first POSTed there through the "notify" circuit
     * breaker, with the event id as {@code Idempotency-Key}.
     */
    public static Projection latestState(String name, List<String> aggregateTypes, String notifyUrl) {
        RestNotification notification = notifyUrl.isEmpty() ? null : new RestNotification(notifyUrl);
        return Projection.named(name).forAggregateTypes(aggregateTypes.toArray(String[]::new))
            .otherwise((event, context) -> {
                if (notification != null) {
                    context.call("notify", () -> {
                        notification.post(EventJson.encode(event), context.idempotencyKey());
                        return null;
                    });
                }
                String type = event.eventType();
                if (type.endsWith("Created") || type.endsWith("Registered")) {
                    return new ReadModelChange.Put(event.payloadJson());
                }
                if (type.endsWith("Deleted") || type.endsWith("Removed") || type.endsWith("Discharged")) {
                    return ReadModelChange.REMOVE;
                }
                return new ReadModelChange.Merge(event.payloadJson());
            }).build();
    }

    static void bindMetrics(ProjectionProcessor projector, PrometheusMeterRegistry registry, Duration stallTimeout) {
        ProjectorMeters.bind(projector, registry, stallTimeout, Tags.empty());
    }

    static String statusJson(ProjectionProcessor projector, Projection projection, String instanceId) {
        ProcessorStatus status = projector.status();
        return "{\"component\":\"projector\",\"projection\":" + EventJson.quote(projection.name()) + ",\"instance\":"
            + EventJson.quote(instanceId) + ",\"assignedPartitions\":" + jsonList(status.assigned())
            + ",\"pausedPartitions\":" + jsonList(status.paused()) + ",\"applied\":" + status.applied()
            + ",\"duplicates\":" + status.duplicates() + ",\"parked\":" + status.parked() + ",\"lag\":" + status.lag()
            + ",\"noProgressSince\":" + ServiceLifecycle.jsonInstant(status.waitingSince()) + ",\"failure\":"
            + EventJson.quote(status.failure()) + ",\"failingSince\":" + ServiceLifecycle.jsonInstant(status.failingSince())
            + ",\"breakers\":{"
            + status.breakers().entrySet().stream().map(e -> EventJson.quote(e.getKey()) + ":" + EventJson.quote(e.getValue()))
                .collect(Collectors.joining(",")) + "}}";
    }

    private static String jsonList(java.util.Collection<String> values) {
        return values.stream().map(EventJson::quote).collect(Collectors.joining(",", "[", "]"));
    }
}
