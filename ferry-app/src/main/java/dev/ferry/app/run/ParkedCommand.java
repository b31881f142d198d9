package dev.ferry.app.run;

import java.util.concurrent.Callable;

import dev.ferry.app.wiring.Components;
import dev.ferry.config.FerryConfig;
import dev.ferry.core.target.ParkedEvents;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ferry parked list|retry|skip}: operators' view of the sequenced dead letters. */
@Command(name = "parked", mixinStandardHelpOptions = true,
    description = "List parked aggregates of a projection, or ask for a retry or a deliberate skip of one.")
public final class ParkedCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Parameters(index = "0", description = "list, retry or skip")
    String action;

    @Option(names = "--projection", description = "the projection (default: projector.projection)")
    String projection;

    @Option(names = "--aggregate", description = "the aggregate, as type/id (retry, skip)")
    String aggregate;

    @Override
    public Integer call() {
        FerryConfig settings = config.load();
        ServiceLifecycle.requireReachable(settings);
        String name = projection != null ? projection : settings.projector().projection();
        try (Components components = ServiceLifecycle.components(settings)) {
            ParkedEvents parked = components.parkedEvents();
            switch (action) {
                case "list" -> {
                    for (String key : parked.parkedAggregates(name)) {
                        var events = parked.parked(name, key);
                        System.out.printf("%s  %d parked, first at offset %d: %s%n", key, events.size(),
                            events.get(0).offset(), events.get(0).error());
                    }
                    return 0;
                }
                case "retry", "skip" -> {
                    if (aggregate == null || !aggregate.contains("/")) {
                        System.err.println("ferry parked " + action + ": --aggregate type/id is required");
                        return 2;
                    }
                    try {
                        parked.request(name, aggregate, action.equals("retry") ? ParkedEvents.Request.RETRY
                            : ParkedEvents.Request.SKIP_FIRST);
                    } catch (ParkedEvents.NothingParked refused) {
                        System.err.println("ferry parked " + action + ": " + refused.getMessage());
                        return 2;
                    }
                    System.out.printf("%s of %s requested; the projector that owns it carries it out%n", action, aggregate);
                    return 0;
                }
                default -> {
                    System.err.println("ferry parked: expected list, retry or skip, got '" + action + "'");
                    return 2;
                }
            }
        }
    }
}
