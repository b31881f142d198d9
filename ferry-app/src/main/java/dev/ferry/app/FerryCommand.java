package dev.ferry.app;

import java.io.PrintWriter;
import java.util.List;

import dev.ferry.app.run.ParkedCommand;
import dev.ferry.app.run.ProjectCommand;
import dev.ferry.app.run.RelayCommand;
import dev.ferry.app.run.ReplicateCommand;
import dev.ferry.app.run.StatusCommand;
import dev.ferry.app.run.Unreachable;
import dev.ferry.config.ConfigError;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code ferry} executable of the service jar: the commands a deployment runs. The local distribution
 * ({@code ferry-local}: demo, bench, the embedded stack) adds its commands through
 * {@link #execute(PrintWriter, PrintWriter, List, String...)}, so this jar carries none of what they need.
 */
@Command(name = "ferry", mixinStandardHelpOptions = true, version = "ferry 0.1.0-SNAPSHOT",
    description = "Relays MongoDB event-store changes to Kafka, exactly once in effect.",
    subcommands = {RelayCommand.class, ProjectCommand.class, ReplicateCommand.class, StatusCommand.class,
        ParkedCommand.class})
public final class FerryCommand {

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs a command line; user errors are one line on stderr and exit status 2, unreachable backends 3. */
    public static int execute(String... args) {
        return execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        return execute(out, err, List.of(), args);
    }

    /**
     * As {@link #execute(PrintWriter, PrintWriter, String...)}, with {@code extraCommands} (picocli
     * {@code @Command} objects) as further subcommands under their own names.
     */
    public static int execute(PrintWriter out, PrintWriter err, List<Object> extraCommands, String... args) {
        CommandLine commandLine = new CommandLine(new FerryCommand());
        extraCommands.forEach(commandLine::addSubcommand);
        commandLine.setOut(out).setErr(err); // after adding: it reaches only the subcommands present
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
