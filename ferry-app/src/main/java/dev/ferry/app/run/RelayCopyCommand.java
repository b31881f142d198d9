package dev.ferry.app.run;

import java.util.List;
import java.util.concurrent.Callable;

import dev.ferry.app.wiring.Components;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.SourceConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code ferry relay copy --source NAME}: records a request to copy one source again; the relay instance that leads
 * takes it up and copies that source while the others keep streaming (e.g. to resynchronise a replica); an entity
 * source is copied by watermarks while it keeps streaming too.
 */
@Command(name = "copy", mixinStandardHelpOptions = true,
    description = "Ask the leading relay to copy one source again while the other sources keep streaming.")
public final class RelayCopyCommand implements Callable<Integer> {

    /** The relay's: {@code -c} is inherited, so it may be given after {@code copy}. */
    @ParentCommand
    RelayCommand relay;

    @Option(names = "--source", required = true, description = "the source's name (sources[].name; default: its collection)")
    String source;

    @Override
    public Integer call() {
        FerryConfig settings = relay.config.load();
        List<String> names = settings.sources().stream().map(SourceConfig::name).toList();
        if (!names.contains(source)) {
            System.err.println("ferry relay copy: no source named '" + source + "'; sources: " + names);
            return 2;
        }
        ServiceLifecycle.requireReachable(settings);
        try (Components components = ServiceLifecycle.components(settings)) {
            components.checkpoints().requestCopy(settings.relay().name(), source);
        } catch (IllegalStateException refused) {
            System.err.println("ferry relay copy: " + refused.getMessage());
            return 2;
        }
        System.out.printf("copy of %s requested; the leading relay copies it while the other sources stream%n", source);
        return 0;
    }
}
