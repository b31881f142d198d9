package dev.ferry.mongodb.changestream;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import org.bson.BsonDocument;
import org.bson.BsonTimestamp;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Projections;

import dev.ferry.core.relay.spi.ChangeSource;

/**
 * The oplog window of a replica set, through the official driver: the first and last entry of {@code local.oplog.rs}
 * in natural order (what {@code rs.printReplicationInfo()} reads). Reading {@code local} needs a role that allows it
 * (on Atlas, e.g. {@code clusterMonitor}); where it is not readable, the window is unknown: one warning, never a
 * failure.
 */
public final class OplogWindow {

    private static final Logger log = LoggerFactory.getLogger(OplogWindow.class);

    private final MongoCollection<BsonDocument> oplog;
    private final AtomicBoolean warned = new AtomicBoolean();

    public OplogWindow(MongoClient client) {
        this.oplog = client.getDatabase("local").getCollection("oplog.rs", BsonDocument.class);
    }

    /** The oldest and newest entry's cluster time, or empty if the oplog is empty or not readable. */
    public Optional<ChangeSource.RetainedHistory> read() {
        try {
            Optional<Instant> oldest = entry(1);
            Optional<Instant> newest = entry(-1);
            if (oldest.isEmpty() || newest.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new ChangeSource.RetainedHistory(oldest.get(), newest.get()));
        } catch (MongoException e) {
            if (warned.compareAndSet(false, true)) {
                log.warn("the oplog window is unknown (headroom gauges show NaN): local.oplog.rs is not readable: {}. "
                    + "On Atlas, give Ferry's user a role that can read the local database, e.g. clusterMonitor",
                    e.getMessage());
            }
            return Optional.empty();
        }
    }

    private Optional<Instant> entry(int direction) {
        BsonDocument entry = oplog.find().sort(new Document("$natural", direction)).limit(1)
            .projection(Projections.include("ts")).first();
        if (entry == null || !(entry.get("ts") instanceof BsonTimestamp ts)) {
            return Optional.empty();
        }
        return Optional.of(Instant.ofEpochSecond(ts.getTime()));
    }
}
