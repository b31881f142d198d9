package dev.ferry.mongodb.changestream;

import java.util.Objects;

import org.bson.BsonDocument;

import dev.ferry.core.relay.Change;
import dev.ferry.core.relay.ResumeToken;
import dev.ferry.mongodb.store.RelaxedJson;

/**
 * One collection the relay reads, and how a document inserted into it becomes a change.
 *
 * @param name   the source's name (a relay may leave it out of its stream while copying it)
 * @param reader turns an inserted document into a change; a document it cannot read becomes
 *               {@link Change.Malformed} with the reason, never an exception
 */
public record WatchedCollection(String name, String database, String collection, DocumentReader reader) {

    public WatchedCollection {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(collection, "collection");
        Objects.requireNonNull(reader, "reader");
    }

    /** A source named after its collection. */
    public WatchedCollection(String database, String collection, DocumentReader reader) {
        this(collection, database, collection, reader);
    }

    String namespace() {
        return database + "." + collection;
    }

    /**
     * The change a document makes, whether the stream or a copy read it. A reader's own unexpected failure must not
     * become a crash loop that stops every source: the document is dead-lettered with it.
     */
    public Change read(ResumeToken token, BsonDocument document) {
        try {
            return reader.read(token, document);
        } catch (RuntimeException e) {
            return new Change.Malformed(token, RelaxedJson.of(document), "cannot be read: " + e);
        }
    }

    /** How the inserted documents of one source kind become changes. */
    @FunctionalInterface
    public interface DocumentReader {
        Change read(ResumeToken token, BsonDocument document);
    }
}
