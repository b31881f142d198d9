package dev.ferry.embedded.mongo;

import java.util.Optional;
import java.util.UUID;

/**
 * The MongoDB an integration test talks to: a real deployment when {@code FERRY_MONGODB_URI} is set (a
 * replica set or Atlas; change streams need one), else an {@link EmbeddedMongo} started for the test.
 * Each instance names its own database, so runs against a shared real deployment do not collide.
 */
public final class MongoUnderTest implements AutoCloseable {

    public static final String URI_VARIABLE = "FERRY_MONGODB_URI";

    private final EmbeddedMongo embedded;
    private final String connectionString;
    private final String databaseName;

    private MongoUnderTest(EmbeddedMongo embedded, String connectionString, String databasePrefix) {
        this.embedded = embedded;
        this.connectionString = connectionString;
        this.databaseName = databasePrefix + "_" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A MongoDB with the default embedded oplog capacity. */
    public static MongoUnderTest start(String databasePrefix) {
        return start(databasePrefix, EmbeddedMongo.DEFAULT_OPLOG_CAPACITY);
    }

    /** A MongoDB; if embedded, its oplog keeps {@code oplogCapacity} entries. */
    public static MongoUnderTest start(String databasePrefix, int oplogCapacity) {
        Optional<String> real = realMongoUri();
        if (real.isPresent()) {
            return new MongoUnderTest(null, real.get(), databasePrefix);
        }
        EmbeddedMongo mongo = EmbeddedMongo.start(0, oplogCapacity);
        return new MongoUnderTest(mongo, mongo.connectionString(), databasePrefix);
    }

    public static Optional<String> realMongoUri() {
        return Optional.ofNullable(System.getenv(URI_VARIABLE)).filter(uri -> !uri.isBlank());
    }

    public String connectionString() {
        return connectionString;
    }

    /** A database name unique to this instance. */
    public String databaseName() {
        return databaseName;
    }

    public boolean isEmbedded() {
        return embedded != null;
    }

    @Override
    public void close() {
        if (embedded != null) {
            embedded.close();
        }
    }
}
