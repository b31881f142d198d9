package dev.ferry.app.run;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

import dev.ferry.app.wiring.Components;
import dev.ferry.config.ConfigError;
import dev.ferry.config.FerryConfig;
import dev.ferry.core.lease.Lease;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.RelaySettings;
import dev.ferry.core.relay.RelayStatus;
import dev.ferry.core.relay.spi.SourceCopy;
import dev.ferry.core.transport.Transport;
import dev.ferry.core.wire.EventJson;
import dev.ferry.engine.metrics.RelayMeters;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code ferry relay}: one relay instance (run several; one leads), with its admin endpoints. */
@Command(name = "relay", mixinStandardHelpOptions = true, subcommands = RelayCopyCommand.class,
    description = "Run a relay instance: tails the event store's change stream while it holds the lease, publishes to Kafka or NATS JetStream.")
public final class RelayCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws Exception {
        FerryConfig settings = config.load();
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ServiceLifecycle.serve(settings, "relay", "ferry relay " + settings.relay().name(), metrics, admin -> {
            Components components = ServiceLifecycle.components(settings);
            Transport.Publishers publishers = components.relayPublishers();
            String instanceId = Components.newInstanceId();
            ChangeStreamRelay relay = components.relay(relaySettings(settings), instanceId, publishers,
                settings.sources());
            Duration stallTimeout = settings.admin().stallTimeoutDuration();
            bindMetrics(relay, metrics, stallTimeout);
            try {
                relay.start();
            } catch (SourceCopy.NotReady e) {
                throw new ConfigError(e.getMessage());
            }
            admin.serveParked(components.parkedEvents()).acceptCopyRequests(settings.sources().stream()
                    .map(dev.ferry.config.SourceConfig::name).toList(),
                source -> components.checkpoints().requestCopy(settings.relay().name(), source));
            return new ServiceLifecycle.Running("ferry relay " + settings.relay().name() + ": instance " + instanceId
                + " started", () -> statusJson(relay, components, settings),
                stalledAt(relay, stallTimeout), List.of(relay), List.of(publishers, components));
        });
        return 0;
    }

    /**
     * The relay's part of readiness: not ready once changes have waited unacknowledged for longer than
     * {@code stallTimeout} (a standby has none waiting), nor while a standby rehearses its takeover (seconds at most:
     * a rolling update then replaces the leader only once a warm standby can take over).
     */
    static Predicate<Instant> stalledAt(ChangeStreamRelay relay, Duration stallTimeout) {
        return now -> relay.warmingUp(now) || relay.status().stalled(now, stallTimeout);
    }

    static RelaySettings relaySettings(FerryConfig config) {
        return config.relay().settings();
    }

    static PrometheusMeterRegistry metrics(ChangeStreamRelay relay, Duration stallTimeout) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        bindMetrics(relay, registry, stallTimeout);
        return registry;
    }

    static void bindMetrics(ChangeStreamRelay relay, PrometheusMeterRegistry registry, Duration stallTimeout) {
        RelayMeters.bind(relay, registry, stallTimeout, Tags.empty());
    }

    static String statusJson(ChangeStreamRelay relay, Components components, FerryConfig config) {
        RelayStatus status = relay.status();
        Optional<Lease> lease = components.leases().read(config.relay().name());
        String owner = lease.map(Lease::owner).orElse(null);
        String epoch = lease.map(held -> String.valueOf(held.epoch())).orElse("null");
        String age = components.checkpoints().load(config.relay().name()).map(checkpoint -> String.format(Locale.ROOT,
            "%.1f", (System.currentTimeMillis() - checkpoint.savedAt().toEpochMilli()) / 1000.0)).orElse("null");
        return "{\"component\":\"relay\",\"relay\":" + EventJson.quote(config.relay().name()) + ",\"instance\":"
            + EventJson.quote(relay.instanceId()) + ",\"role\":\"" + status.role() + "\",\"epoch\":" + status.epoch()
            + ",\"published\":" + status.published() + ",\"deadLettered\":" + status.deadLettered()
            + ",\"restarts\":" + restartsJson(status) + ",\"lastFailure\":" + failureJson(status.lastFailure())
            + ",\"noProgressSince\":" + ServiceLifecycle.jsonInstant(status.waitingSince())
            + ",\"warmUp\":{\"state\":\"" + status.warmUp().state() + "\",\"changes\":" + status.warmUp().changes()
            + ",\"records\":" + status.warmUp().records() + "}"
            + ",\"lease\":{\"owner\":" + EventJson.quote(owner) + ",\"epoch\":" + epoch + "},\"checkpointAgeSeconds\":"
            + age + ",\"failure\":" + EventJson.quote(status.failure()) + "}";
    }

    /** {@code broker}, {@code record_refused}, …: as the metrics' {@code fault} tag and the status spell it. */
    static String faultName(RelayStatus.Fault fault) {
        return RelayMeters.faultName(fault);
    }

    private static String restartsJson(RelayStatus status) {
        StringBuilder json = new StringBuilder("{");
        for (RelayStatus.Fault fault : RelayStatus.Fault.values()) {
            json.append('"').append(faultName(fault)).append("\":").append(status.restarts().get(fault)).append(',');
        }
        return json.append("\"total\":").append(status.restartCount()).append('}').toString();
    }

    private static String failureJson(RelayStatus.Failure failure) {
        return failure == null ? "null" : "{\"at\":" + ServiceLifecycle.jsonInstant(failure.at()) + ",\"fault\":\""
            + faultName(failure.fault()) + "\",\"cause\":" + EventJson.quote(failure.cause()) + "}";
    }
}
