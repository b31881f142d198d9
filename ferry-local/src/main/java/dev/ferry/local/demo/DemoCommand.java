package dev.ferry.local.demo;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import dev.ferry.config.FerryConfig;
import dev.ferry.local.demo.replication.ReplicationDemoCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ferry demo}: the whole pipeline on the embedded stack, with failures injected, and a verdict. */
@Command(name = "demo", mixinStandardHelpOptions = true, subcommands = ReplicationDemoCommand.class,
    description = "Run Ferry end to end on the embedded MongoDB and Kafka (or NATS JetStream): a healthcare load, 2 relays, 3 projectors; "
        + "kill the leader relay and a projector mid-run; report whether every guarantee held. Exit status 1 if not.")
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--events", defaultValue = "20000", description = "events to append (default: ${DEFAULT-VALUE})")
    long events;

    @Option(names = "--rate", defaultValue = "500", description = "events appended per second (default: ${DEFAULT-VALUE})")
    int rate;

    @Option(names = "--aggregates", defaultValue = "1000", description = "patients and practitioners (default: ${DEFAULT-VALUE})")
    int aggregates;

    @Option(names = "--payload-bytes", defaultValue = "200", description = "approximate payload size (default: ${DEFAULT-VALUE})")
    int payloadBytes;

    @Spec
    CommandSpec spec;

    @Option(names = "--transport", defaultValue = "kafka", converter = TransportName.class,
        description = "kafka (the embedded Kafka) or nats (a nats-server child process; needs the nats-server package) "
            + "(default: ${DEFAULT-VALUE})")
    FerryConfig.Transport transport;

    @Option(names = "--json", description = "write the report as JSON to stdout (progress goes to stderr)")
    boolean json;

    @Option(names = "--exactly-once", description = "Kafka only: the relay in exactly-once mode (kafka.exactlyOnce: "
        + "transactions, the position committed with the records); streamDuplicates is counted by a read_committed "
        + "reader, as in every run")
    boolean exactlyOnce;

    @Override
    public Integer call() throws Exception {
        if (events < 100 || rate < 1 || aggregates < 1 || payloadBytes < 0) {
            System.err.println("ferry demo: --events must be at least 100, --rate and --aggregates at least 1");
            return 2;
        }
        if (exactlyOnce && transport != FerryConfig.Transport.KAFKA) {
            System.err.println("ferry demo: --exactly-once is Kafka's mode (NATS de-duplicates by Nats-Msg-Id already)");
            return 2;
        }
        DemoReport report = new DemoRun(new DemoRun.Options(events, rate, aggregates, payloadBytes, transport,
            exactlyOnce), System.err).run();
        // The command line's writer (stdout unless a caller gave another), so the report can be captured.
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(report.toJson());
        } else {
            out.print(report.toText());
        }
        out.flush();
        return report.guaranteesHeld() ? 0 : 1;
    }

    /** {@code kafka} or {@code nats}, as in the configuration's {@code transport}. */
    public static final class TransportName implements ITypeConverter<FerryConfig.Transport> {
        @Override
        public FerryConfig.Transport convert(String value) {
            return switch (value) {
                case "kafka" -> FerryConfig.Transport.KAFKA;
                case "nats" -> FerryConfig.Transport.NATS;
                default -> throw new TypeConversionException("expected kafka or nats, got '" + value + "'");
            };
        }
    }
}
