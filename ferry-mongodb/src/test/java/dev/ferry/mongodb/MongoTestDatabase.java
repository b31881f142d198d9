package dev.ferry.mongodb;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;

import dev.ferry.embedded.mongo.EmbeddedMongo;
import dev.ferry.embedded.mongo.MongoUnderTest;

/**
 * A database of its own for one test class, on the embedded server or on the real MongoDB named by
 * FERRY_MONGODB_URI; closing it drops the database and stops what was started.
 */
public record MongoTestDatabase(MongoUnderTest mongo, MongoClient client, MongoDatabase database) implements AutoCloseable {

    public static MongoTestDatabase start(String prefix) {
        return start(prefix, EmbeddedMongo.DEFAULT_OPLOG_CAPACITY);
    }

    /** @param oplogCapacity entries the embedded server's oplog keeps (ignored on a real MongoDB) */
    public static MongoTestDatabase start(String prefix, int oplogCapacity) {
        MongoUnderTest mongo = MongoUnderTest.start(prefix, oplogCapacity);
        MongoClient client = MongoClients.create(mongo.connectionString());
        return new MongoTestDatabase(mongo, client, client.getDatabase(mongo.databaseName()));
    }

    @Override
    public void close() {
        database.drop();
        client.close();
        mongo.close();
    }
}
