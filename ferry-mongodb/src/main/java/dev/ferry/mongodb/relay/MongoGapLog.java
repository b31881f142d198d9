package dev.ferry.mongodb.relay;

import java.time.Instant;
import java.util.Date;

import org.bson.Document;

import com.mongodb.WriteConcern;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;

import dev.ferry.core.relay.spi.GapLog;

/** Gaps as documents {@code {relay, from, to, reason, recordedAt}}, where operators (and `ferry status`) see them. */
public final class MongoGapLog implements GapLog {

    /** Where relays record the history they skipped. */
    public static final String COLLECTION = "ferry_gaps";

    private final MongoCollection<Document> gaps;

    public MongoGapLog(MongoDatabase database, String collection) {
        this.gaps = database.getCollection(collection).withWriteConcern(WriteConcern.MAJORITY);
    }

    @Override
    public void record(String relayName, Instant from, Instant to, String reason) {
        gaps.insertOne(new Document("relay", relayName)
            .append("from", from == null ? null : Date.from(from))
            .append("to", Date.from(to))
            .append("reason", reason)
            .append("recordedAt", new Date()));
    }
}
