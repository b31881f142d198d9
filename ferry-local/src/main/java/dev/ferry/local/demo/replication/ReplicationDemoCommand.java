package dev.ferry.local.demo.replication;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ferry demo replication}: entity replication end to end on the embedded stack, with failures, and a verdict. */
@Command(name = "replication", mixinStandardHelpOptions = true,
    description = "Replicate patients and practitioners from the embedded MongoDB through the embedded Kafka into a "
        + "MongoDB replica and an embedded PostgreSQL 17 replica: concurrent creates, updates, replaces, deletes and "
        + "re-creates; 2 relays, 3 replicators per replica; kill the leader relay and a replicator of each replica "
        + "mid-run; compare both replicas with the source and check their independent write logs for any step back "
        + "in time. Exit status 1 if a guarantee broke.")
public final class ReplicationDemoCommand implements Callable<Integer> {

    @Option(names = "--changes", defaultValue = "10000", description = "source changes to make (default: ${DEFAULT-VALUE})")
    long changes;

    @Option(names = "--rate", defaultValue = "300", description = "source changes per second (default: ${DEFAULT-VALUE})")
    int rate;

    @Option(names = "--ids", defaultValue = "100",
        description = "ids per writer (8 writers: 4 on patient, 4 on practitioner) (default: ${DEFAULT-VALUE})")
    int ids;

    @Option(names = "--work-dir", defaultValue = ".ferry-demo",
        description = "where the embedded PostgreSQL runs: its binaries are unpacked there once (~117 MB), its data is "
            + "removed when the demo ends (default: ${DEFAULT-VALUE})")
    Path workDirectory;

    @Option(names = "--json", description = "write the report as JSON to stdout (progress goes to stderr)")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (changes < 100 || rate < 1 || ids < 1) {
            System.err.println("ferry demo replication: --changes must be at least 100, --rate and --ids at least 1");
            return 2;
        }
        ReplicationDemoReport report = new ReplicationDemoRun(
            new ReplicationDemoRun.Options(changes, rate, ids, workDirectory), System.err).run();
        // The command line's writer (stdout unless a caller gave another), so the report can be captured.
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? report.toJson() + System.lineSeparator() : report.toText());
        out.flush();
        return report.guaranteesHeld() ? 0 : 1;
    }
}
