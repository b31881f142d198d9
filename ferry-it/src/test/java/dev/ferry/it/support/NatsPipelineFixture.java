package dev.ferry.it.support;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

import dev.ferry.embedded.mongo.MongoUnderTest;
import dev.ferry.embedded.nats.NatsServerProcess;
import dev.ferry.nats.NatsSettings;
import dev.ferry.nats.publish.NatsPublishers;

/**
 * {@link PipelineFixture} on NATS JetStream: one {@code nats-server} per test class, and per test a MongoDB (embedded,
 * or real with FERRY_MONGODB_URI), a fresh {@link Pipeline} and its relay {@code relay-1} publishing to a stream of its
 * own ({@link #settings}). No Kafka broker.
 */
public abstract class NatsPipelineFixture {

    protected static NatsServerProcess nats;
    protected MongoUnderTest mongo;
    protected Pipeline pipeline;
    protected NatsSettings settings;

    @BeforeAll
    static void startNats() {
        nats = NatsServerProcess.start();
    }

    @AfterAll
    static void stopNats() {
        nats.close();
    }

    @BeforeEach
    void startRelayOnNats() {
        mongo = MongoUnderTest.start("ferry_it");
        pipeline = new Pipeline(mongo, null);
        settings = NatsSettings.local(nats.url(), "it" + System.nanoTime());
        pipeline.startRelayOn("relay-1", new NatsPublishers(settings));
    }

    /** After a subclass's own {@code @AfterEach} (which stops what it started: consumers, child processes). */
    @AfterEach
    void stopPipeline() {
        pipeline.close();
        mongo.close();
    }
}
