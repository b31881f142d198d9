package dev.ferry.mongodb.changestream;

import java.util.List;
import java.util.Objects;

import org.bson.BsonDocument;
import org.bson.RawBsonDocument;

import com.mongodb.client.model.changestream.ChangeStreamDocument;

import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.mongodb.store.RelaxedJson;

/**
 * One collection the relay reads, and how a document inserted into it becomes a change.
 *
 * @param name   the source's name (a relay may leave it out of its stream while copying it)
 * @param reader turns an inserted document into a change; a document it cannot read becomes
 *               {@link Change.Refused} with the reason, never an exception
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
            return new Change.Refused(token, RelaxedJson.of(document), "cannot be read: " + e);
        }
    }

    /**
     * The changes copied documents make, in order (an entity collection's read together: one query per batch).
     *
     * @param notedAt the stream position noted before the copy (what an entity's copied versions are)
     */
    public List<Change> readCopied(ResumeToken stamp, ResumeToken notedAt, List<BsonDocument> documents) {
        if (reader instanceof ChangeReader changeReader) {
            try {
                return changeReader.readCopied(stamp, notedAt, documents);
            } catch (com.mongodb.MongoException e) {
                throw e; // MongoDB unreachable or failing: the copy resumes from its last position
            } catch (RuntimeException e) {
                return documents.stream().<Change>map(document -> new Change.Refused(stamp, RelaxedJson.of(document),
                    "cannot be read: " + e)).toList();
            }
        }
        return documents.stream().map(document -> read(stamp, document)).toList();
    }

    /**
     * The changes of an entity collection (see {@link #readsEveryOperation()}), in order; a reader's own unexpected
     * failure dead-letters the batch's changes with it rather than stopping every source.
     */
    public List<Change> readChanges(List<ChangeStreamDocument<RawBsonDocument>> changes) {
        ChangeReader changeReader = (ChangeReader) reader;
        try {
            return changeReader.read(changes);
        } catch (com.mongodb.MongoException e) {
            throw e; // MongoDB unreachable or failing: the relay's term ends and the next one reads them again
        } catch (RuntimeException e) {
            return changes.stream().<Change>map(change -> new Change.Refused(
                new ResumeToken(RelaxedJson.of(change.getResumeToken())),
                change.getDocumentKey() == null ? "{}" : RelaxedJson.of(change.getDocumentKey()),
                "cannot be read: " + e)).toList();
        }
    }

    /** Whether the source's documents change in place (entities): its stream carries every operation. */
    public boolean readsEveryOperation() {
        return reader instanceof ChangeReader;
    }

    /** The type and key of a record ({@link dev.ferry.core.event.FerryRecord#type()}, {@code key()}). */
    public record RecordKey(String type, String key) {
    }

    /** How the inserted documents of one source kind become changes. */
    @FunctionalInterface
    public interface DocumentReader {
        Change read(ResumeToken token, BsonDocument document);
    }

    /**
     * How the changes of a collection whose documents change in place (entities) become changes: every operation of
     * {@link #operations()}, read a batch at a time (so that what a batch needs from MongoDB is one query), and the
     * documents a copy reads.
     */
    public interface ChangeReader extends DocumentReader {

        /** The operation types it reads ({@code insert}, {@code update}, …). */
        List<String> operations();

        /** Whether its changes should carry the document as it was before (where the collection keeps pre-images). */
        boolean wantsBeforeImages();

        /** One change per given change, in order; one that cannot be published becomes {@link Change.Refused}. */
        List<Change> read(List<ChangeStreamDocument<RawBsonDocument>> changes);

        /**
         * One change per copied document, in order, each carrying {@code stamp}; versioned at {@code notedAt}, the
         * stream position noted before the copy (never later: a change made after the read must sort after it).
         */
        List<Change> readCopied(ResumeToken stamp, ResumeToken notedAt, List<BsonDocument> documents);

        /**
         * The type and key of the records a stored document makes (an entity's name and key), as the stream's
         * records of it carry them: what a copy by watermarks matches the stream's changes with.
         */
        RecordKey keyOf(BsonDocument document);

        @Override
        default Change read(ResumeToken token, BsonDocument document) {
            return readCopied(token, token, List.of(document)).get(0);
        }
    }
}
