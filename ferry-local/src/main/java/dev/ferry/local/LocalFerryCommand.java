package dev.ferry.local;

import java.io.PrintWriter;
import java.util.List;

import dev.ferry.app.FerryCommand;
import dev.ferry.local.bench.BenchCommand;
import dev.ferry.local.demo.DemoCommand;
import dev.ferry.local.embedded.EmbeddedCommand;

/**
 * The {@code ferry} executable the {@code ./ferry} launcher runs: the service commands of {@link FerryCommand} plus
 * {@code demo}, {@code embedded} and {@code bench}, which need the embedded stack and the benchmarks (kept out of the
 * service jar and image).
 */
public final class LocalFerryCommand {

    private LocalFerryCommand() {
    }

    public static void main(String[] args) {
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** As {@link FerryCommand#execute(PrintWriter, PrintWriter, String...)}, with the local commands too. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        return FerryCommand.execute(out, err, List.of(new DemoCommand(), new EmbeddedCommand(), new BenchCommand()),
            args);
    }
}
