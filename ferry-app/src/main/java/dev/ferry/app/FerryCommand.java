package dev.ferry.app;

import dev.ferry.app.bench.BenchCommand;
import dev.ferry.app.demo.DemoCommand;
import dev.ferry.app.embedded.EmbeddedCommand;
import dev.ferry.app.run.ParkedCommand;
import dev.ferry.app.run.ProjectCommand;
import dev.ferry.app.run.RelayCommand;
import dev.ferry.app.run.ReplicateCommand;
import dev.ferry.app.run.StatusCommand;
import dev.ferry.app.run.Unreachable;
import dev.ferry.config.ConfigError;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ferry} executable. */
@Command(name = "ferry", mixinStandardHelpOptions = true, version = "ferry 0.1.0-SNAPSHOT",
    description = "Relays MongoDB event-store changes to Kafka, exactly once in effect.",
    subcommands = {DemoCommand.class, RelayCommand.class, ProjectCommand.class, ReplicateCommand.class, StatusCommand.class,
        ParkedCommand.class, EmbeddedCommand.class, BenchCommand.class})
public final class FerryCommand {

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs a command line; user errors are one line on stderr and exit status 2, unreachable backends 3. */
    public static int execute(String... args) {
        return execute(new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true), args);
    }

    public static int execute(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        CommandLine commandLine = new CommandLine(new FerryCommand()).setOut(out).setErr(err);
        commandLine.setExecutionExceptionHandler((e, line, parsed) -> {
            if (e instanceof ConfigError || e instanceof Unreachable) {
                line.getErr().println("ferry: " + e.getMessage());
                return e instanceof ConfigError ? 2 : 3;
            }
            throw e;
        });
        return commandLine.execute(args);
    }
}
