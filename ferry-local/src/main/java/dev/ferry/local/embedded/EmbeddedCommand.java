package dev.ferry.local.embedded;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.RuntimeMXBean;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;

import dev.ferry.config.FerryConfig;
import dev.ferry.embedded.kafka.EmbeddedKafka;
import dev.ferry.embedded.mongo.EmbeddedMongo;
import dev.ferry.embedded.nats.NatsServerProcess;
import dev.ferry.local.demo.DemoCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ferry embedded}: starts the embedded MongoDB and Kafka and prints how to reach them, for running
 * Ferry's processes against them; with {@code --self-test}, proves the stack works end to end and exits.
 */
@Command(name = "embedded", mixinStandardHelpOptions = true,
    description = "Start the embedded MongoDB and Kafka (or a nats-server) on free loopback ports and print their connection strings.")
public final class EmbeddedCommand implements Callable<Integer> {

    @Option(names = "--self-test", description = "Relay a batch of documents MongoDB -> Kafka through the embedded "
        + "stack, check every one arrived in order, print the figures and exit.")
    boolean selfTest;

    @Option(names = "--events", defaultValue = "10000", description = "documents for --self-test (default: ${DEFAULT-VALUE})")
    int events;

    @Option(names = "--oplog-capacity", defaultValue = "" + EmbeddedMongo.DEFAULT_OPLOG_CAPACITY,
        description = "oplog entries the embedded MongoDB keeps (default: ${DEFAULT-VALUE})")
    int oplogCapacity;

    @Option(names = "--transport", defaultValue = "kafka", converter = DemoCommand.TransportName.class,
        description = "kafka (the embedded broker) or nats (a nats-server child process, JetStream on a temporary "
            + "directory; needs the nats-server package) (default: ${DEFAULT-VALUE})")
    FerryConfig.Transport transport;

    @Override
    public Integer call() throws Exception {
        if (transport == FerryConfig.Transport.NATS) {
            if (selfTest) {
                System.err.println("ferry embedded: --self-test runs on kafka only");
                return 2;
            }
            try (EmbeddedMongo mongo = EmbeddedMongo.start(0, oplogCapacity);
                 NatsServerProcess nats = NatsServerProcess.start()) {
                System.out.println("FERRY_MONGODB_URI=" + mongo.connectionString());
                System.out.println("FERRY_NATS_SERVERS=" + nats.url());
                System.out.println(settings());
                return runUntilStopped("nats", nats::stop, nats::restart);
            }
        }
        try (EmbeddedMongo mongo = EmbeddedMongo.start(0, oplogCapacity);
             EmbeddedKafka kafka = EmbeddedKafka.start()) {
            System.out.println("FERRY_MONGODB_URI=" + mongo.connectionString());
            System.out.println("FERRY_KAFKA_BOOTSTRAP_SERVERS=" + kafka.bootstrapServers());
            System.out.println(settings());
            System.out.flush();
            if (selfTest) {
                return new StackSelfTest(mongo.connectionString(), kafka.bootstrapServers(), events, System.out).run()
                    ? 0 : 1;
            }
            return runUntilStopped("kafka", kafka::stop, kafka::restart);
        }
    }

    private static int runUntilStopped(String broker, Runnable stop, Runnable start) throws InterruptedException {
        System.out.flush();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown));
        System.err.println("embedded stack running; stop with Ctrl-C or SIGTERM; stdin takes '" + broker + " stop' and '"
            + broker + " start' (a broker outage on demand, same port" + (broker.equals("nats") ? " and store)" : ")"));
        Thread control = new Thread(() -> readControl(broker, stop, start), "embedded-control");
        control.setDaemon(true);
        control.start();
        stopped.await();
        return 0;
    }

    /**
     * What this stand-in for Atlas and Kafka runs with, so that figures measured against it say so: the embedded
     * MongoDB keeps all its data on this JVM's heap, so the heap and collector matter.
     */
    private String settings() {
        RuntimeMXBean runtime = ManagementFactory.getRuntimeMXBean();
        return String.format(Locale.ROOT, "settings: oplog capacity %,d entries; JVM %s, max heap %,d MiB, %s, options "
                + "%s; %d cores", oplogCapacity, runtime.getVmVersion(), Runtime.getRuntime().maxMemory() >> 20,
            ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName)
                .collect(Collectors.joining(" + ")), runtime.getInputArguments(),
            Runtime.getRuntime().availableProcessors());
    }

    /** Fault injection for failure tests: the broker can be stopped and started again from stdin. */
    private static void readControl(String broker, Runnable stop, Runnable start) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                String command = line.trim();
                if (command.equals(broker + " stop")) {
                    stop.run();
                    System.out.println(broker + " stopped");
                } else if (command.equals(broker + " start")) {
                    start.run();
                    System.out.println(broker + " started");
                } else {
                    System.out.println("unknown command: " + line);
                }
                System.out.flush();
            }
        } catch (IOException e) {
            System.err.println("embedded: control input closed: " + e.getMessage());
        }
    }
}
