package dev.ferry.benchmark.pipeline;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import org.bson.Document;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;

import dev.ferry.benchmark.process.AdminEndpoint;
import dev.ferry.benchmark.process.ChildJvm;
import dev.ferry.benchmark.process.FerryLauncher;
import dev.ferry.benchmark.process.JvmOptions;
import dev.ferry.benchmark.process.LeaderStepDowns;
import dev.ferry.config.FerryConfig;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.embedded.nats.NatsServerProcess;
import dev.ferry.mongodb.store.MongoEventStore;

/**
 * Ferry laid out as in production, every part a process of its own: the embedded stack ({@code ferry embedded},
 * standing in for Atlas and Kafka), relays ({@code ferry relay}) and a projector ({@code ferry project}) with the
 * deployed JVM options, and the raw baselines ({@code ferry bench raw}) with the same options. The benchmark itself
 * appends and observes from its own process.
 * <p>
 * On NATS the layout also runs a nats-server (JetStream on a temporary directory) and configures the relays and the
 * projector with {@code transport: nats}; the stack's Kafka stays up, idle, for the raw Kafka baselines beside them.
 */
public final class ProductionLayout implements AutoCloseable {

    public static final String DATABASE = "ferry";
    static final String AGGREGATE_TYPE = "patient";
    static final String TOPIC = "ferry." + AGGREGATE_TYPE;
    /** The JetStream stream on NATS: its subjects are {@code ferry.<type>.<partition>}. */
    static final String STREAM = "ferry";
    /** The lease's id: the relay's default name. */
    public static final String RELAY_NAME = "ferry-relay";
    /** Partitions of the pipeline's topic, or per type of its NATS stream. */
    static final int PARTITIONS = 6;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    /** A started relay or projector: its process and its admin endpoints. */
    public record Service(ChildJvm process, String instanceId, AdminEndpoint admin) {
    }

    private final FerryLauncher launcher;
    private final Path logs;
    private final List<ChildJvm> processes = new ArrayList<>();
    /** The Ferry services started (relays, projectors, replicators), killed ones included: their logs still count. */
    private final List<ChildJvm> services = new ArrayList<>();
    private final AtomicInteger started = new AtomicInteger();
    private final ChildJvm stack;
    private final FerryConfig.Transport transport;
    /** The nats-server on NATS, else null. */
    private final NatsServerProcess nats;
    private final Map<String, String> env;
    private final Path config;
    private final MongoClient client;
    private final MongoEventStore store;
    private final PrintStream progress;

    public ProductionLayout(FerryLauncher launcher, Path logs, int oplogCapacity, int lingerMs, PrintStream progress)
        throws IOException {
        this(launcher, logs, oplogCapacity, lingerMs, FerryConfig.Transport.KAFKA, progress);
    }

    public ProductionLayout(FerryLauncher launcher, Path logs, int oplogCapacity, int lingerMs,
                            FerryConfig.Transport transport, PrintStream progress) throws IOException {
        this(launcher, logs, oplogCapacity, lingerMs, transport, false, progress);
    }

    /** @param exactlyOnce the relays in Kafka's exactly-once mode ({@code kafka.exactlyOnce}) */
    public ProductionLayout(FerryLauncher launcher, Path logs, int oplogCapacity, int lingerMs,
                            FerryConfig.Transport transport, boolean exactlyOnce, PrintStream progress)
        throws IOException {
        this.launcher = launcher;
        this.logs = logs;
        this.progress = progress;
        this.transport = transport;
        stack = start("stack", JvmOptions.stack(), Map.of(), List.of("embedded", "--oplog-capacity",
            Integer.toString(oplogCapacity)));
        NatsServerProcess server = null;
        try {
            String mongoUri = stack.awaitLine("FERRY_MONGODB_URI=(\\S+)", START_TIMEOUT);
            String bootstrap = stack.awaitLine("FERRY_KAFKA_BOOTSTRAP_SERVERS=(\\S+)", START_TIMEOUT);
            progress.printf("embedded stack (pid %d): %s%n", stack.pid(),
                stack.awaitLine("(settings: .*)", START_TIMEOUT));
            stack.awaitLine("(embedded stack running)", START_TIMEOUT);
            Map<String, String> environment = new HashMap<>(Map.of("FERRY_MONGODB_URI", mongoUri,
                "FERRY_KAFKA_BOOTSTRAP_SERVERS", bootstrap));
            if (transport == FerryConfig.Transport.NATS) {
                server = NatsServerProcess.start();
                environment.put("FERRY_NATS_SERVERS", server.url());
                progress.printf("nats-server %s, JetStream in %s%n", server.url(), server.storeDir());
            }
            env = Map.copyOf(environment);
            config = writeConfig(logs.resolve("ferry.yml"), lingerMs, transport, exactlyOnce);
        } catch (IOException | RuntimeException e) {
            stack.close(); // no layout exists yet to close it
            if (server != null) {
                server.close();
            }
            throw e;
        }
        nats = server;
        client = MongoClients.create(env.get("FERRY_MONGODB_URI"));
        try {
            store = new MongoEventStore(database(), "events", new TopicNaming("ferry."),
                MongoEventStore.DEFAULT_MAX_EVENT_BYTES).createIndexes();
        } catch (RuntimeException e) {
            close(); // the stack (and nats-server) are up: no process may outlive a failed start
            throw e;
        }
        progress.printf("relay and projector JVM options: %s; logs in %s%n", String.join(" ", JvmOptions.DEPLOYED), logs);
    }

    public String mongoUri() {
        return env.get("FERRY_MONGODB_URI");
    }

    public String bootstrapServers() {
        return env.get("FERRY_KAFKA_BOOTSTRAP_SERVERS");
    }

    FerryConfig.Transport transport() {
        return transport;
    }

    /** The nats-server's URL on NATS. */
    String natsUrl() {
        if (nats == null) {
            throw new IllegalStateException("this layout runs on " + transport + ", not NATS");
        }
        return nats.url();
    }

    /** The nats-server's process id on NATS: the broker is not in the stack's process there, as Kafka is. */
    public OptionalLong natsPid() {
        return nats == null ? OptionalLong.empty() : OptionalLong.of(nats.pid());
    }

    public ChildJvm stack() {
        return stack;
    }

    public MongoDatabase database() {
        return client.getDatabase(DATABASE);
    }

    public MongoClient client() {
        return client;
    }

    MongoEventStore store() {
        return store;
    }

    Service startRelay() throws IOException {
        return startService("relay", List.of("relay", "--config", config.toString()));
    }

    /**
     * A relay of the same configuration but {@code relay.start: earliest}: with no checkpoint it copies, then streams.
     * Its lease has the relay's default TTL unless {@code leaseTtl} is given (the documented {@code relay.leaseTtl}).
     * The copy benchmark ran with 15 s until issue 30: the embedded MongoDB answered one operation at a time and sorted
     * the copy's whole first read in memory, so renewals waiting behind that read made the relay step down at every
     * term's first read. It now runs the default and counts the step-downs instead.
     */
    public Service startCopyingRelay(Optional<Duration> leaseTtl) throws IOException {
        Path copying = logs.resolve("ferry-earliest.yml");
        Files.writeString(copying, Files.readString(config).replaceFirst("(?m)^  start: .*$",
            "  start: earliest" + leaseTtl.map(ttl -> "\n  leaseTtl: " + ttl.toMillis() + "ms").orElse("")));
        return startService("relay", List.of("relay", "--config", copying.toString()));
    }

    /**
     * A relay of the same configuration whose one source is the entity collection {@code collection} (its entity and
     * topic named after it) with {@code initialLoad: copy}: with no checkpoint it copies the collection by watermarks
     * while it streams. {@code leaseTtl} as for {@link #startCopyingRelay}. The projector's section is left out: no
     * source would claim its aggregate types.
     */
    public Service startEntityCopyingRelay(String collection, Optional<Duration> leaseTtl) throws IOException {
        Path copying = logs.resolve("ferry-entities.yml");
        Files.writeString(copying, Files.readString(config)
            .replaceFirst("(?m)^relay:$", """
                sources:
                  - kind: entities
                    collection: %s
                    initialLoad: copy
                relay:""".formatted(collection))
            .replaceFirst("(?m)^projector:\n  aggregateTypes: .*\n", "") // its types would be claimed by no source
            .replaceFirst("(?m)^(  start: .*)$", "$1" + leaseTtl.map(ttl -> "\n  leaseTtl: " + ttl.toMillis() + "ms")
                .orElse("")));
        return startService("relay", List.of("relay", "--config", copying.toString()));
    }

    Service startProjector() throws IOException {
        return startService("projector", List.of("project", "--config", config.toString()));
    }

    /**
     * Starts {@code ferry <args>} (a service that prints {@code ferry <command> ...: instance <id> started} and its
     * admin port: relay, project, replicate) with the deployed JVM options and the stack's connection strings in its
     * environment; {@code role} names its log files. A process that found the stack unreachable at start-up (exit
     * status 3: its 5-second check timed out on a busy machine) is started again, four times at most.
     */
    public Service startService(String role, List<String> args) throws IOException {
        String startedLine = "ferry " + Pattern.quote(args.get(0)) + " .+: instance (\\S+) started";
        for (int attempt = 1; ; attempt++) {
            ChildJvm process = start(role + "-" + started.incrementAndGet(), JvmOptions.DEPLOYED, env, args);
            try {
                String instance = process.awaitLine(startedLine, START_TIMEOUT);
                int port = Integer.parseInt(process.awaitLine("admin on port (\\d+)", START_TIMEOUT));
                services.add(process);
                return new Service(process, instance, new AdminEndpoint(port));
            } catch (IllegalStateException e) {
                if (attempt == 5 || process.isAlive() || process.exitValue() != 3) {
                    throw e;
                }
                progress.printf("  %s found the stack unreachable at start-up; starting it again%n", process.name());
            }
        }
    }

    /** Runs {@code ferry bench raw <args>} to its end with the deployed JVM options; returns its RESULT lines. */
    public List<String> runRaw(String name, List<String> args) throws Exception {
        List<String> command = new ArrayList<>(List.of("bench", "raw", "--mongodb-uri", mongoUri(),
            "--bootstrap-servers", bootstrapServers()));
        if (nats != null) {
            command.addAll(List.of("--nats-servers", nats.url(), "--partitions", Integer.toString(PARTITIONS)));
        }
        command.addAll(args);
        try (ChildJvm raw = start(name + "-" + started.incrementAndGet(), JvmOptions.DEPLOYED, Map.of(), command)) {
            raw.awaitExit(Duration.ofMinutes(20));
            return raw.stdoutLines("^RESULT (.*)$");
        }
    }

    /**
     * Step-downs of a live leader every Ferry service started so far has logged ({@link LeaderStepDowns}): a
     * scenario's count is the difference of a reading at its end and one at its start.
     */
    public long leaderStepDowns() {
        return LeaderStepDowns.logged(services);
    }

    /** The relay lease's epoch now (0 before the first leader). */
    public long leaseEpoch() {
        Document lease = database().getCollection("ferry_leases").find(new Document("_id", RELAY_NAME)).first();
        return lease == null || lease.get("epoch") == null ? 0 : ((Number) lease.get("epoch")).longValue();
    }

    private ChildJvm start(String name, List<String> jvmOptions, Map<String, String> environment, List<String> args)
        throws IOException {
        ChildJvm process = launcher.start(name, jvmOptions, environment, logs, args);
        processes.add(process);
        return process;
    }

    /** The relays' and the projector's configuration: the transport's section is the only difference. */
    private static Path writeConfig(Path file, int lingerMs, FerryConfig.Transport transport, boolean exactlyOnce)
        throws IOException {
        String section = transport == FerryConfig.Transport.NATS ? """
            transport: nats
            nats:
              servers: ${FERRY_NATS_SERVERS}
              stream: %s
              partitions: %d
            """.formatted(STREAM, PARTITIONS) : """
            kafka:
              bootstrapServers: ${FERRY_KAFKA_BOOTSTRAP_SERVERS}
              partitions: %d
              replicationFactor: 1
              lingerMs: %d
              compression: none
              exactlyOnce: %b
            """.formatted(PARTITIONS, lingerMs, exactlyOnce);
        Files.writeString(file, """
            mongodb:
              uri: ${FERRY_MONGODB_URI}
              database: %s
            %s\
            relay:
              name: %s
              start: %s
            projector:
              aggregateTypes: [%s]
            admin:
              bind: 127.0.0.1
              port: 0
            """.formatted(DATABASE, section, RELAY_NAME, Instant.now().minusSeconds(5), AGGREGATE_TYPE));
        return file;
    }

    @Override
    public void close() {
        client.close();
        // Relays and projectors first, the stack they talk to last.
        for (int i = processes.size() - 1; i >= 0; i--) {
            processes.get(i).close();
        }
        if (nats != null) {
            nats.close();
        }
    }
}
