package dev.ferry.app.demo;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ferry demo}: the whole pipeline on the embedded stack, with failures injected, and a verdict. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Run Ferry end to end on the embedded MongoDB and Kafka: a healthcare load, 2 relays, 3 projectors; "
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

    @Option(names = "--json", description = "write the report as JSON to stdout (progress goes to stderr)")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (events < 100 || rate < 1 || aggregates < 1 || payloadBytes < 0) {
            System.err.println("ferry demo: --events must be at least 100, --rate and --aggregates at least 1");
            return 2;
        }
        DemoReport report = new DemoRun(new DemoRun.Options(events, rate, aggregates, payloadBytes), System.err).run();
        if (json) {
            System.out.println(report.toJson());
        } else {
            System.out.print(report.toText());
        }
        return report.guaranteesHeld() ? 0 : 1;
    }
}
