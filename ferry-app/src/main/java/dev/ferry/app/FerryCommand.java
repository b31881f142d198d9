package dev.ferry.app;

import dev.ferry.app.bench.BenchCommand;
import dev.ferry.app.demo.DemoCommand;
import dev.ferry.app.embedded.EmbeddedCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ferry} executable. */
@Command(name = "ferry", mixinStandardHelpOptions = true, version = "ferry 0.1.0-SNAPSHOT",
    description = "Relays MongoDB event-store changes to Kafka, exactly once in effect.",
    subcommands = {DemoCommand.class, EmbeddedCommand.class, BenchCommand.class})
public final class FerryCommand {

    public static void main(String[] args) {
        System.exit(new CommandLine(new FerryCommand()).execute(args));
    }
}
