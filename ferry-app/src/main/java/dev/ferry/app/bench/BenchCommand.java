package dev.ferry.app.bench;

import java.time.Duration;
import java.util.concurrent.Callable;

import java.nio.file.Path;
import java.util.List;

import dev.ferry.benchmark.oplog.ChangeStreamOplogProbe;
import dev.ferry.benchmark.pipeline.PipelineBenchmark;
import dev.ferry.benchmark.projector.ProjectorThroughputBenchmark;
import dev.ferry.kafka.publish.KafkaSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ferry bench ...}: measurement programs. */
@Command(name = "bench", description = "Measurement programs.",
    subcommands = {BenchCommand.Pipeline.class, BenchCommand.Oplog.class, BenchCommand.Projector.class})
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

    @Command(name = "pipeline", mixinStandardHelpOptions = true,
        description = "Catch-up throughput (300 B and 10 KB events) and steady-state latency of the whole pipeline, "
            + "with raw change-stream, raw Kafka and raw bulk-write baselines measured in the same run.")
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

        @Option(names = "--linger-ms", defaultValue = "" + KafkaSettings.DEFAULT_LINGER_MS,
            description = "the relay producer's linger.ms, 0..5; the raw Kafka baseline uses the same (default: ${DEFAULT-VALUE})")
        int lingerMs;

        @Option(names = "--plot", defaultValue = "bench-latency.png", description = "latency plot PNG (default: ${DEFAULT-VALUE})")
        Path plot;

        @Option(names = "--json", description = "print the results as JSON to stdout (the Markdown table goes to stderr)")
        boolean json;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (lingerMs < 0 || lingerMs > KafkaSettings.MAX_LINGER_MS) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                    "--linger-ms: expected 0.." + KafkaSettings.MAX_LINGER_MS + ", got " + lingerMs);
            }
            List<PipelineBenchmark.Result> results = new PipelineBenchmark(new PipelineBenchmark.Options(smallEvents,
                largeEvents, rates, Duration.ofSeconds(seconds), plot, lingerMs), System.err).run();
            if (json) {
                PipelineBenchmark.printMarkdown(results, System.err);
                System.out.println(PipelineBenchmark.toJson(results));
            } else {
                PipelineBenchmark.printMarkdown(results, System.out);
            }
            System.err.println("latency plot: " + plot.toAbsolutePath());
            return 0;
        }
    }
}
