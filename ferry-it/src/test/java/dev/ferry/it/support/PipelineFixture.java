package dev.ferry.it.support;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

import dev.ferry.embedded.kafka.EmbeddedKafka;
import dev.ferry.embedded.mongo.EmbeddedMongo;
import dev.ferry.embedded.mongo.MongoUnderTest;

/**
 * What the end-to-end tests share: one embedded Kafka broker per test class, and per test a MongoDB (embedded, or
 * real with FERRY_MONGODB_URI) and a fresh {@link Pipeline} with its own collections and topics.
 */
public abstract class PipelineFixture {

    protected static EmbeddedKafka kafka;
    protected MongoUnderTest mongo;
    protected Pipeline pipeline;

    @BeforeAll
    static void startKafka() {
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stopKafka() {
        kafka.close();
    }

    @BeforeEach
    void startPipeline() {
        mongo = MongoUnderTest.start("ferry_it", oplogCapacity());
        pipeline = new Pipeline(mongo, kafka);
    }

    @AfterEach
    void stopPipeline() {
        pipeline.close();
        mongo.close();
    }

    /** Oplog entries the embedded MongoDB keeps; a test that needs history to run out asks for few. */
    protected int oplogCapacity() {
        return EmbeddedMongo.DEFAULT_OPLOG_CAPACITY;
    }
}
