package dev.ferry.embedded.kafka;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.utils.Time;

import dev.ferry.embedded.LocalServerFiles;

/**
 * A real Apache Kafka broker (KRaft, combined broker and controller, one node) running in this JVM on free
 * loopback ports, with its data in a temporary directory. It can be stopped and started again on the same
 * port with its data intact, to test recovery from a broker outage.
 *
 * <p>Topic auto-creation is off: Ferry creates topics explicitly (an idempotent producer sending to a freshly
 * auto-created topic was seen to stall until its delivery timeout).
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final int NODE_ID = 1;

    private final Path dataDir;
    private final int brokerPort;
    private final int controllerPort;
    private final Map<String, Object> overrides;
    private KafkaRaftServer server;

    private EmbeddedKafka(Path dataDir, int brokerPort, int controllerPort, Map<String, Object> overrides) {
        this.dataDir = dataDir;
        this.brokerPort = brokerPort;
        this.controllerPort = controllerPort;
        this.overrides = Map.copyOf(overrides);
    }

    /** Formats a fresh data directory and starts a broker on free loopback ports. */
    public static EmbeddedKafka start() {
        return start(Map.of());
    }

    /** As {@link #start()}, with broker settings that override the defaults (e.g. {@code message.max.bytes}). */
    public static EmbeddedKafka start(Map<String, Object> brokerOverrides) {
        EmbeddedKafka kafka = formatted(brokerOverrides);
        kafka.startBroker();
        return kafka;
    }

    /**
     * Formats a fresh data directory and picks free loopback ports, without starting the broker: its clients can be
     * given {@link #bootstrapServers()} before {@link #restart()} starts it (a broker that comes up after them).
     */
    public static EmbeddedKafka notStarted() {
        return formatted(Map.of());
    }

    private static EmbeddedKafka formatted(Map<String, Object> brokerOverrides) {
        try {
            Path dataDir = Files.createTempDirectory("ferry-kafka-");
            EmbeddedKafka kafka = new EmbeddedKafka(dataDir, LocalServerFiles.freeLoopbackPort(),
                LocalServerFiles.freeLoopbackPort(), brokerOverrides);
            kafka.format();
            return kafka;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the embedded Kafka data directory", e);
        }
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + brokerPort;
    }

    /** Stops the broker as a crash would leave it for clients: connections refused until {@link #restart()}. */
    public synchronized void stop() {
        if (server != null) {
            server.shutdown();
            server.awaitShutdown();
            server = null;
        }
    }

    /** Starts the broker (again) on its port with the data it has. */
    public synchronized void restart() {
        if (server == null) {
            startBroker();
        }
    }

    public synchronized boolean isRunning() {
        return server != null;
    }

    @Override
    public void close() {
        stop();
        LocalServerFiles.deleteDirectory(dataDir);
    }

    private synchronized void startBroker() {
        KafkaRaftServer raftServer = new KafkaRaftServer(new KafkaConfig(config(), false), Time.SYSTEM);
        raftServer.startup();
        server = raftServer;
    }

    private Map<String, Object> config() {
        Map<String, Object> config = new HashMap<>();
        config.put("process.roles", "broker,controller");
        config.put("node.id", String.valueOf(NODE_ID));
        config.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
        config.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        config.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        config.put("controller.listener.names", "CONTROLLER");
        config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        config.put("inter.broker.listener.name", "PLAINTEXT");
        config.put("log.dirs", logDir().toString());
        config.put("metadata.log.dir", metadataDir().toString());
        // A single node: every internal topic has one replica.
        config.put("offsets.topic.replication.factor", "1");
        config.put("offsets.topic.num.partitions", "5");
        config.put("transaction.state.log.replication.factor", "1");
        config.put("transaction.state.log.min.isr", "1");
        config.put("transaction.state.log.num.partitions", "5");
        config.put("share.coordinator.state.topic.replication.factor", "1");
        config.put("share.coordinator.state.topic.min.isr", "1");
        config.put("default.replication.factor", "1");
        config.put("min.insync.replicas", "1");
        // Consumers join groups at once rather than after the default 3 s delay.
        config.put("group.initial.rebalance.delay.ms", "0");
        config.put("auto.create.topics.enable", "false");
        config.put("log.cleaner.dedupe.buffer.size", String.valueOf(2 * 1024 * 1024));
        config.putAll(overrides);
        return config;
    }

    private void format() {
        try {
            new Formatter()
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                .setNodeId(NODE_ID)
                .setClusterId(Uuid.randomUuid().toString())
                .setControllerListenerName("CONTROLLER")
                .setMetadataLogDirectory(metadataDir().toString())
                .addDirectory(metadataDir().toString())
                .addDirectory(logDir().toString())
                .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                .run();
        } catch (Exception e) {
            throw new IllegalStateException("cannot format the embedded Kafka storage in " + dataDir, e);
        }
    }

    private Path logDir() {
        return dataDir.resolve("logs");
    }

    private Path metadataDir() {
        return dataDir.resolve("metadata");
    }
}
