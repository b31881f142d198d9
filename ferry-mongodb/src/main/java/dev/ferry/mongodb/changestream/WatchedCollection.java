package dev.ferry.mongodb.changestream;

import java.util.Objects;

import org.bson.BsonDocument;

import dev.ferry.core.relay.Change;
import dev.ferry.core.relay.ResumeToken;

/**
 * One collection the relay reads, and how a document inserted into it becomes a change.
 *
 * @param reader turns an inserted document into a change; a document it cannot read becomes
 *               {@link Change.Malformed} with the reason, never an exception
 */
public record WatchedCollection(String database, String collection, DocumentReader reader) {

    public WatchedCollection {
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(collection, "collection");
        Objects.requireNonNull(reader, "reader");
    }

    String namespace() {
        return database + "." + collection;
    }

    /** How the inserted documents of one source kind become changes. */
    @FunctionalInterface
    public interface DocumentReader {
        Change read(ResumeToken token, BsonDocument document);
    }
}
