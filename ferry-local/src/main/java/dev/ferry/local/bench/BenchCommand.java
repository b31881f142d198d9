package dev.ferry.local.bench;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import dev.ferry.benchmark.lease.LeaseRenewalBenchmark;
import dev.ferry.benchmark.oplog.ChangeStreamOplogProbe;
import dev.ferry.benchmark.pipeline.BenchmarkResult;
import dev.ferry.benchmark.pipeline.CopyRate;
import dev.ferry.benchmark.pipeline.EntityCopyRate;
import dev.ferry.benchmark.pipeline.EntityCopyResult;
import dev.ferry.benchmark.pipeline.PipelineBenchmark;
import dev.ferry.benchmark.pipeline.StreamLatencies;
import dev.ferry.benchmark.process.FerryLauncher;
import dev.ferry.benchmark.projector.ProjectorThroughputBenchmark;
import dev.ferry.benchmark.raw.RawBaselines;
import dev.ferry.benchmark.relay.CommitDecodeBenchmark;
import dev.ferry.benchmark.replication.ReplicationBenchmark;
import dev.ferry.config.FerryConfig;
import dev.ferry.core.lease.LeaseTiming;
import dev.ferry.kafka.publish.KafkaSettings;
import dev.ferry.local.LocalFerryCommand;
import dev.ferry.local.demo.DemoCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ferry bench ...}: measurement programs. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Measurement programs.",
    subcommands = {BenchCommand.Pipeline.class, BenchCommand.Decode.class, BenchCommand.Replication.class, BenchCommand.Copy.class, BenchCommand.Lease.class,
        BenchCommand.Oplog.class, BenchCommand.Projector.class, BenchCommand.Raw.class})
public final class BenchCommand {

    @Command(name = "oplog", mixinStandardHelpOptions = true,
        description = "Idle CPU of a change-stream tail and delivery latency vs oplog size on the embedded MongoDB, "
            + "against the stock mongo-java-server oplog.")
    static final class Oplog implements Callable<Integer> {

        @Option(names = "--rate", defaultValue = "1000", description = "inserts per second (default: ${DEFAULT-VALUE})")
        int rate;

        @Option(names = "--seconds", defaultValue = "3", description = "seconds of load per row (default: ${DEFAULT-VALUE})")
        int seconds;

        @Option(names = "--idle-seconds", defaultValue = "10", description = "idle window (default: ${DEFAULT-VALUE})")
        int idleSeconds;

        @Option(names = "--sizes", split = ",", defaultValue = "0,50000,200000",
            description = "oplog sizes for Ferry's oplog (default: ${DEFAULT-VALUE})")
        int[] sizes;

        @Option(names = "--stock-sizes", split = ",", defaultValue = "0,20000",
            description = "oplog sizes for the stock oplog (default: ${DEFAULT-VALUE})")
        int[] stockSizes;

        @Override
        public Integer call() throws Exception {
            new ChangeStreamOplogProbe(System.out, new ChangeStreamOplogProbe.Options(sizes, stockSizes, rate,
                Duration.ofSeconds(seconds), Duration.ofSeconds(idleSeconds))).run();
            return 0;
        }
    }

    @Command(name = "projector", mixinStandardHelpOptions = true,
        description = "Projector throughput against raw consumer throughput of the same topic, in the same run.")
    static final class Projector implements Callable<Integer> {

        @Option(names = "--events", defaultValue = "50000", description = "events (default: ${DEFAULT-VALUE})")
        int events;

        @Option(names = "--aggregates", defaultValue = "1000", description = "aggregates (default: ${DEFAULT-VALUE})")
        int aggregates;

        @Option(names = "--payload-bytes", defaultValue = "300", description = "payload size (default: ${DEFAULT-VALUE})")
        int payloadBytes;

        @Option(names = "--lanes", defaultValue = "16", description = "aggregates processed in parallel (default: ${DEFAULT-VALUE})")
        int lanes;

        @Override
        public Integer call() throws Exception {
            new ProjectorThroughputBenchmark(System.out, events, aggregates, payloadBytes, lanes).run();
            return 0;
        }
    }

    @Command(name = "decode", mixinStandardHelpOptions = true,
        description = "The relay's CPU per commit for reading a stored commit and checking it against the published "
            + "contract before anything is derived from it: one thread, the commits ferry bench pipeline appends, "
            + "written to the embedded MongoDB and read back as raw BSON; median and spread of the measured rounds.")
    static final class Decode implements Callable<Integer> {

        @Option(names = "--commits", defaultValue = "50000", description = "commits (default: ${DEFAULT-VALUE})")
        int commits;

        @Option(names = "--payload-bytes", defaultValue = "300", description = "payload size (default: ${DEFAULT-VALUE})")
        int payloadBytes;

        @Option(names = "--warm-up-rounds", defaultValue = "10", description = "unmeasured rounds first, for the JIT "
            + "(default: ${DEFAULT-VALUE})")
        int warmUpRounds;

        @Option(names = "--rounds", defaultValue = "10", description = "measured rounds (default: ${DEFAULT-VALUE})")
        int rounds;

        @Option(names = "--json", description = "print the result as JSON to stdout (the table goes to stderr)")
        boolean json;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            if (commits < 1 || rounds < 1 || warmUpRounds < 0 || payloadBytes < 10) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--commits and --rounds must be at least "
                    + "1, --warm-up-rounds at least 0, --payload-bytes at least 10");
            }
            CommitDecodeBenchmark.Result result = new CommitDecodeBenchmark(new CommitDecodeBenchmark.Options(commits,
                payloadBytes, warmUpRounds, rounds), System.err).run();
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            CommitDecodeBenchmark.printMarkdown(result, json ? err : out);
            if (json) {
                out.println(result.toJson());
            }
            out.flush();
            err.flush();
            return 0;
        }
    }

    @Command(name = "pipeline", mixinStandardHelpOptions = true,
        description = "Catch-up throughput (300 B and 10 KB events), steady-state latency and relay failover, laid out "
            + "as in production: the embedded stack, the relay and the projector each in a process of their own, with "
            + "raw baselines and a raw pipeline measured in the same run; every scenario --repeat times; each process's "
            + "idle CPU; step-downs of a live leader counted per scenario.")
    static final class Pipeline implements Callable<Integer> {

        // Large enough that the catch-up lasts several seconds: a 2-second run measured mostly topic creation, the
        // group join and the JIT, not the pipeline.
        @Option(names = "--events", defaultValue = "100000", description = "catch-up events of ~300 B (default: ${DEFAULT-VALUE})")
        int smallEvents;

        @Option(names = "--large-events", defaultValue = "15000", description = "catch-up events of 10 KB (default: ${DEFAULT-VALUE})")
        int largeEvents;

        @Option(names = "--rates", split = ",", defaultValue = "1000,5000", description = "steady-state rates (default: ${DEFAULT-VALUE})")
        int[] rates;

        @Option(names = "--seconds", defaultValue = "5", description = "seconds of steady load per rate (default: ${DEFAULT-VALUE})")
        int seconds;

        @Option(names = "--repeat", defaultValue = "3", description = "runs of every scenario; medians and spread are "
            + "reported (default: ${DEFAULT-VALUE})")
        int repeat;

        @Option(names = "--warm-up-rounds", defaultValue = "2", description = "unmeasured catch-up rounds first, for the "
            + "JIT (default: ${DEFAULT-VALUE})")
        int warmUpRounds;

        @Option(names = "--kills", defaultValue = "20", description = "kill -9 of the leader relay under 1,000 events/s; "
            + "0 skips the failover scenario (default: ${DEFAULT-VALUE})")
        int kills;

        @Option(names = "--backlog", defaultValue = "100000", description = "events the successor relay catches up after "
            + "the kills (default: ${DEFAULT-VALUE})")
        int backlog;

        @Option(names = "--idle-seconds", defaultValue = "60", description = "after the warm-up, nothing is appended for "
            + "this long while each process's idle CPU is read; 0 skips it (default: ${DEFAULT-VALUE})")
        int idleSeconds;

        @Option(names = "--linger-ms", defaultValue = "" + KafkaSettings.DEFAULT_LINGER_MS,
            description = "the relay producer's linger.ms, 0..5; the raw producers use the same (default: ${DEFAULT-VALUE})")
        int lingerMs;

        @Option(names = "--plot", defaultValue = "bench-latency.png", description = "latency plot PNG (default: ${DEFAULT-VALUE})")
        Path plot;

        @Option(names = "--logs", description = "directory for each process's output (default: a new temporary one)")
        Path logs;

        @Option(names = "--json", description = "print the results as JSON to stdout (the Markdown table goes to stderr)")
        boolean json;

        @Option(names = "--transport", defaultValue = "kafka", converter = DemoCommand.TransportName.class,
            description = "what the relay and the projector run on: kafka (the embedded broker) or nats (a nats-server "
                + "process; needs the nats-server package; adds a raw JetStream baseline) "
                + "(default: ${DEFAULT-VALUE})")
        FerryConfig.Transport transport;

        @Option(names = "--exactly-once", description = "Kafka only: the relays in exactly-once mode (kafka.exactlyOnce); "
            + "results are named kafka-exactly-once, to set beside a run without it")
        boolean exactlyOnce;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (exactlyOnce && transport != FerryConfig.Transport.KAFKA) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--exactly-once: Kafka's mode, not "
                    + transport.name().toLowerCase(java.util.Locale.ROOT) + "'s");
            }
            if (lingerMs < 0 || lingerMs > KafkaSettings.MAX_LINGER_MS) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                    "--linger-ms: expected 0.." + KafkaSettings.MAX_LINGER_MS + ", got " + lingerMs);
            }
            if (repeat < 1 || warmUpRounds < 0 || kills < 0 || backlog < 1 || smallEvents < 100 || largeEvents < 100
                || seconds < 1 || idleSeconds < 0) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--repeat must be at least 1, "
                    + "--events/--large-events at least 100, --backlog and --seconds at least 1, --warm-up-rounds and "
                    + "--kills and --idle-seconds at least 0");
            }
            Path logDirectory = logs != null ? logs : Files.createTempDirectory("ferry-bench-");
            PipelineBenchmark benchmark = new PipelineBenchmark(new PipelineBenchmark.Options(smallEvents, largeEvents,
                rates, Duration.ofSeconds(seconds), plot, lingerMs, repeat, warmUpRounds, kills, backlog, logDirectory,
                transport, Duration.ofSeconds(idleSeconds), exactlyOnce),
                FerryLauncher.ofThisJvm(LocalFerryCommand.class.getName()), System.err);
            List<BenchmarkResult> results = benchmark.run();
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (json) {
                benchmark.printMarkdown(results, err);
                out.println(PipelineBenchmark.toJson(results));
            } else {
                benchmark.printMarkdown(results, out);
            }
            out.flush();
            err.println("latency plot: " + plot.toAbsolutePath() + "; each process's output: " + logDirectory);
            err.flush();
            return 0;
        }
    }

    @Command(name = "replication", mixinStandardHelpOptions = true,
        description = "Entity replication's rate on each --transport, laid out as in production (the stack, the relay "
            + "and one replicator per target in processes of their own, the embedded PostgreSQL 17), with small "
            + "documents and with 10 KB ones. Live: writers insert patients as fast as the source accepts for a window; "
            + "the rate from the first write to each replica's last write (MongoDB, PostgreSQL), beside a raw JDBC "
            + "upsert and a raw Kafka produce-to-consume of the same run. Catch-up: --catch-up-changes inserts, "
            + "updates, replaces, deletes and re-creates written while the relay is held back, then released; the "
            + "changes applied per second into each replica beside a raw pipeline of plain clients on the same changes "
            + "(the ceiling), each process's CPU per change (GC threads apart) and memory. Every scenario --repeat "
            + "times; each process's idle CPU; step-downs of a live leader counted per scenario.")
    static final class Replication implements Callable<Integer> {

        @Option(names = "--seconds", defaultValue = "10", description = "seconds the writers write per run (default: "
            + "${DEFAULT-VALUE})")
        int seconds;

        @Option(names = "--large-bytes", defaultValue = "10240", description = "the large documents' size (default: "
            + "${DEFAULT-VALUE})")
        int largeBytes;

        @Option(names = "--writers", defaultValue = "8", description = "concurrent writers, one insert at a time each "
            + "(default: ${DEFAULT-VALUE})")
        int writers;

        @Option(names = "--repeat", defaultValue = "3", description = "runs of each scenario; medians and spread are "
            + "reported (default: ${DEFAULT-VALUE})")
        int repeat;

        @Option(names = "--warm-up-seconds", defaultValue = "20", description = "unmeasured writing of each size first, "
            + "for the JIT (default: ${DEFAULT-VALUE})")
        int warmUpSeconds;

        @Option(names = "--idle-seconds", defaultValue = "60", description = "after the warm-up, nothing is written for "
            + "this long while each process's idle CPU is read (default: ${DEFAULT-VALUE})")
        int idleSeconds;

        @Option(names = "--transport", split = ",", defaultValue = "kafka,nats", converter = DemoCommand.TransportName.class,
            description = "what the relay and the replicators run on, one layout after the other: kafka (the embedded "
                + "broker), nats (a nats-server process; needs the nats-server package) (default: ${DEFAULT-VALUE})")
        List<FerryConfig.Transport> transports;

        @Option(names = "--catch-up-changes", defaultValue = "20000", description = "changes of each catch-up run, "
            + "per document size; 0 skips the catch-up scenario (default: ${DEFAULT-VALUE})")
        int catchUpChanges;

        @Option(names = "--logs", description = "directory for each process's output (default: a new temporary one)")
        Path logs;

        @Option(names = "--json", description = "print the results as JSON to stdout (the Markdown table goes to stderr)")
        boolean json;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (seconds < 1 || repeat < 1 || writers < 1 || warmUpSeconds < 1 || largeBytes < 1_000 || idleSeconds < 1
                || catchUpChanges < 0 || (catchUpChanges > 0 && catchUpChanges < 100)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--seconds, --repeat, --writers, "
                    + "--warm-up-seconds and --idle-seconds must be at least 1, --large-bytes at least 1000, "
                    + "--catch-up-changes 0 or at least 100");
            }
            Path logDirectory = logs != null ? logs : Files.createTempDirectory("ferry-bench-replication-");
            ReplicationBenchmark.Report report = new ReplicationBenchmark(new ReplicationBenchmark.Options(
                Duration.ofSeconds(seconds), 0, largeBytes, writers, repeat, Duration.ofSeconds(warmUpSeconds),
                logDirectory, Duration.ofSeconds(idleSeconds), transports.stream().distinct().toList(), catchUpChanges),
                FerryLauncher.ofThisJvm(LocalFerryCommand.class.getName()),
                System.err).run();
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            ReplicationBenchmark.printMarkdown(report, json ? err : out);
            if (json) {
                out.println(ReplicationBenchmark.toJson(report));
            }
            out.flush();
            err.println("each process's output: " + logDirectory);
            err.flush();
            return 0;
        }
    }

    @Command(name = "copy", mixinStandardHelpOptions = true,
        description = "How fast a relay copies stored history it never streamed (relay.start: earliest), in the "
            + "production layout: the embedded stack and the relay in processes of their own, the relay's default lease "
            + "TTL; --repeat fresh runs; the relay's step-downs while alive counted. --kind entities: an entity "
            + "collection (initialLoad: copy) copied by watermarks while a writer updates and inserts its documents at "
            + "--writes-per-second; the stream's latency during the copy (write to record read from the topic) beside "
            + "the copy's rate.")
    static final class Copy implements Callable<Integer> {

        @Option(names = "--kind", defaultValue = "commits", description = "what is copied: commits (Ferry's event "
            + "store, copied before streaming) or entities (an entity collection, copied by watermarks alongside the "
            + "stream) (default: ${DEFAULT-VALUE})")
        String kind;

        @Option(names = "--events", defaultValue = "100000", description = "stored commits of ~300 B (default: ${DEFAULT-VALUE})")
        int events;

        @Option(names = "--documents", defaultValue = "100000", description = "--kind entities: stored documents of "
            + "~300 B (default: ${DEFAULT-VALUE})")
        int documents;

        // Modest beside the relay's live rates (thousands per second), so that what is measured is the stream's
        // latency while a copy shares the relay, not a stream falling behind its writer.
        @Option(names = "--writes-per-second", defaultValue = "200", description = "--kind entities (and commits with "
            + "--write-during-copy): the writer's rate during the copy; for entities three updates of stored documents "
            + "to one insert (default: ${DEFAULT-VALUE})")
        int writesPerSecond;

        @Option(names = "--write-during-copy", description = "--kind commits: a writer appends one-event commits at "
            + "--writes-per-second during the copy too, and the stream's latency is measured as for entities (the "
            + "stream waits for a commit copy: the contrast); it adds to the copy's load, so the rate is not the "
            + "default run's. The JSON line gains the entity line's stream fields and streamPerRun.")
        boolean writeDuringCopy;

        @Option(names = "--repeat", defaultValue = "3", description = "runs; median and spread are reported (default: ${DEFAULT-VALUE})")
        int repeat;

        @Option(names = "--lease-ttl", description = "the copying relay's relay.leaseTtl, e.g. 15s (default: the "
            + "relay's default, as deployed)")
        String leaseTtl;

        @Option(names = "--logs", description = "directory for each process's output (default: a new temporary one)")
        Path logs;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (!kind.equals("commits") && !kind.equals("entities")) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                    "--kind: expected commits or entities, got '" + kind + "'");
            }
            if (repeat < 1 || events < 1_000 || documents < 1_000 || writesPerSecond < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--repeat and --writes-per-second must be "
                    + "at least 1, --events and --documents at least 1000");
            }
            Optional<Duration> ttl = Optional.ofNullable(leaseTtl).map(BenchCommand::duration);
            long started = System.nanoTime();
            Path logDirectory = logs != null ? logs : Files.createTempDirectory("ferry-bench-copy-");
            if (kind.equals("entities")) {
                return copyEntities(ttl, started, logDirectory);
            }
            List<CopyRate.Run> runs = new CopyRate(FerryLauncher.ofThisJvm(LocalFerryCommand.class.getName()),
                logDirectory, System.err).run(events, repeat, ttl, writeDuringCopy ? writesPerSecond : 0);
            List<Double> sorted = runs.stream().map(CopyRate.Run::perSecond).sorted().toList();
            long stepDowns = runs.stream().mapToLong(CopyRate.Run::liveLeaderStepDowns).sum();
            PrintWriter out = spec.commandLine().getOut();
            out.printf(java.util.Locale.ROOT, "{\"scenario\":\"copy\",\"events\":%d,\"runs\":%d,\"copyPerSecond\":%.0f,"
                    + "\"copyPerSecondMin\":%.0f,\"copyPerSecondMax\":%.0f,\"leaseTtlMillis\":%d,\"leaseTtlDefault\":%s,"
                    + "\"liveLeaderStepDowns\":%d,\"liveLeaderStepDownsPerRun\":%s,%s\"elapsedSeconds\":%d}%n", events,
                repeat, sorted.get(sorted.size() / 2), sorted.get(0), sorted.get(sorted.size() - 1),
                ttl.orElse(LeaseTiming.DEFAULT.ttl()).toMillis(), ttl.isEmpty(), stepDowns,
                runs.stream().map(run -> Long.toString(run.liveLeaderStepDowns()))
                    .collect(java.util.stream.Collectors.joining(",", "[", "]")),
                stream(runs).map(latencies -> latencies.jsonFields() + ",\"streamPerRun\":" + runs.stream()
                    .map(run -> "{" + StreamLatencies.runJsonFields(run.latency().orElseThrow(),
                        run.afterCopy().orElseThrow()) + "}")
                    .collect(java.util.stream.Collectors.joining(",", "[", "]")) + ",").orElse(""),
                java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));
            out.flush();
            System.err.printf("the copying relay stepped down %d times while alive, over %d runs (relay.leaseTtl: %s)%n",
                stepDowns, repeat, leaseTtl == null ? "default" : leaseTtl);
            System.err.println("commits are copied before streaming: the stream waits until the copy is complete (a "
                + "history cannot be interleaved), so changes made during the copy are published after it (or by the "
                + "copy, if it reads them); --kind entities measures a copy alongside the stream");
            stream(runs).ifPresent(latencies -> System.err.println("commits: " + latencies.describe()));
            return 0;
        }

        /** With --write-during-copy, the stream's latency over the runs. */
        private Optional<StreamLatencies> stream(List<CopyRate.Run> runs) {
            if (!writeDuringCopy) {
                return Optional.empty();
            }
            return Optional.of(new StreamLatencies(writesPerSecond,
                runs.stream().map(run -> run.latency().orElseThrow()).toList(),
                runs.stream().map(run -> run.afterCopy().orElseThrow()).toList()));
        }

        private int copyEntities(Optional<Duration> ttl, long started, Path logDirectory) throws Exception {
            List<EntityCopyRate.Run> runs = new EntityCopyRate(FerryLauncher.ofThisJvm(LocalFerryCommand.class.getName()),
                logDirectory, System.err).run(documents, writesPerSecond, repeat, ttl);
            EntityCopyResult result = new EntityCopyResult(documents, writesPerSecond,
                ttl.orElse(LeaseTiming.DEFAULT.ttl()).toMillis(), ttl.isEmpty(), runs,
                java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));
            PrintWriter out = spec.commandLine().getOut();
            out.println(result.toJson());
            out.flush();
            PrintWriter err = spec.commandLine().getErr();
            result.printSummary(err);
            err.println("each process's output: " + logDirectory);
            err.flush();
            return 0;
        }
    }

    @Command(name = "lease", mixinStandardHelpOptions = true,
        description = "How long a lease renewal waits while Ferry's own bulk work runs on the embedded MongoDB: a relay "
            + "copying --documents stored commits (relay.start: earliest), and the replicator's tombstone purge over "
            + "--documents tombstones, each on a fresh embedded stack in a process of its own, while a lease is renewed "
            + "through MongoLeaseStore every --interval-ms; renewal p50/p99/max beside the operation's duration.")
    static final class Lease implements Callable<Integer> {

        @Option(names = "--documents", defaultValue = "100000", description = "commits to copy and tombstones to purge "
            + "(default: ${DEFAULT-VALUE})")
        int documents;

        @Option(names = "--operations", split = ",", defaultValue = "copy,purge", description = "what runs beside the "
            + "renewals, in order: copy, purge (default: ${DEFAULT-VALUE})")
        List<String> operations;

        @Option(names = "--interval-ms", defaultValue = "100", description = "pause between a renewal's answer and the "
            + "next renewal (default: ${DEFAULT-VALUE})")
        int intervalMs;

        @Option(names = "--baseline-seconds", defaultValue = "3", description = "renewals noted with nothing else "
            + "running, before each operation (default: ${DEFAULT-VALUE})")
        int baselineSeconds;

        @Option(names = "--copy-lease-ttl", description = "the copying relay's relay.leaseTtl, e.g. 15s (default: the "
            + "relay's default)")
        String copyLeaseTtl;

        @Option(names = "--timeout-seconds", defaultValue = "1800", description = "an operation still running after "
            + "this is reported unfinished (default: ${DEFAULT-VALUE})")
        int timeoutSeconds;

        @Option(names = "--logs", description = "directory for each process's output (default: a new temporary one)")
        Path logs;

        @Option(names = "--json", description = "print the results as JSON to stdout (the summary goes to stderr)")
        boolean json;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (documents < 1 || intervalMs < 1 || baselineSeconds < 1 || timeoutSeconds < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--documents, --interval-ms, "
                    + "--baseline-seconds and --timeout-seconds must be at least 1");
            }
            List<LeaseRenewalBenchmark.Operation> chosen = new java.util.ArrayList<>();
            for (String operation : operations) {
                try {
                    chosen.add(LeaseRenewalBenchmark.Operation.valueOf(operation.trim().toUpperCase(java.util.Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new CommandLine.ParameterException(spec.commandLine(),
                        "--operations: expected copy and/or purge, got '" + operation + "'");
                }
            }
            Path logDirectory = logs != null ? logs : Files.createTempDirectory("ferry-bench-lease-");
            LeaseRenewalBenchmark.Report report = new LeaseRenewalBenchmark(new LeaseRenewalBenchmark.Options(documents,
                chosen, Duration.ofMillis(intervalMs), Duration.ofSeconds(baselineSeconds),
                Optional.ofNullable(copyLeaseTtl).map(BenchCommand::duration), Duration.ofSeconds(timeoutSeconds),
                logDirectory), FerryLauncher.ofThisJvm(LocalFerryCommand.class.getName()), System.err).run();
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            LeaseRenewalBenchmark.printSummary(report, json ? err : out);
            if (json) {
                out.println(LeaseRenewalBenchmark.toJson(report));
            }
            out.flush();
            err.println("each process's output: " + logDirectory);
            err.flush();
            return 0;
        }
    }

    /** A duration as the configuration writes one: 500ms, 15s, 2m. */
    static Duration duration(String text) {
        java.util.regex.Matcher matcher = java.util.regex.Pattern.compile("(\\d+)(ms|s|m)").matcher(text.trim());
        if (!matcher.matches()) {
            throw new IllegalArgumentException("expected a duration such as 500ms, 15s or 2m, got '" + text + "'");
        }
        long amount = Long.parseLong(matcher.group(1));
        return switch (matcher.group(2)) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            default -> Duration.ofMinutes(amount);
        };
    }

    @Command(name = "raw", hidden = true, description = "The raw baselines, in a process of their own: started by "
        + "'ferry bench pipeline', which inserts the documents they read.")
    static final class Raw implements Callable<Integer> {

        @Option(names = "--stages", split = ",", required = true)
        List<String> stages;

        @Option(names = "--mongodb-uri", required = true)
        String mongoUri;

        @Option(names = "--bootstrap-servers", required = true)
        String bootstrapServers;

        @Option(names = "--nats-servers", defaultValue = "", description = "the jetstream stage's server(s)")
        String natsServers;

        @Option(names = "--partitions", defaultValue = "6", description = "the jetstream stage's partitions")
        int partitions;

        @Option(names = "--jdbc-url", defaultValue = "", description = "the jdbc-upsert stage's PostgreSQL")
        String jdbcUrl;

        @Option(names = "--database", defaultValue = "raw")
        String database;

        @Option(names = "--collection", defaultValue = "docs")
        String collection;

        @Option(names = "--since", description = "ISO-8601 instant: read the collection's changes from here")
        Instant since;

        @Option(names = "--events", defaultValue = "10000")
        int events;

        @Option(names = "--payload-bytes", defaultValue = "300")
        int payloadBytes;

        @Option(names = "--linger-ms", defaultValue = "" + KafkaSettings.DEFAULT_LINGER_MS)
        int lingerMs;

        @Option(names = "--rounds", defaultValue = "1")
        int rounds;

        @Option(names = "--rate", defaultValue = "1000")
        int rate;

        @Option(names = "--seconds", defaultValue = "5")
        int seconds;

        @Option(names = "--id-prefix", defaultValue = "", description = "the replication stages' changes: their ids' prefix")
        String idPrefix;

        @Override
        public Integer call() throws Exception {
            new RawBaselines(new RawBaselines.Options(stages, mongoUri, bootstrapServers, natsServers, partitions,
                database, collection,
                since == null ? Instant.now() : since, events, payloadBytes, lingerMs, rounds, rate,
                PipelineBenchmark.STEADY_WARM_UP, Duration.ofSeconds(seconds), jdbcUrl, idPrefix), System.out).run();
            return 0;
        }
    }
}
