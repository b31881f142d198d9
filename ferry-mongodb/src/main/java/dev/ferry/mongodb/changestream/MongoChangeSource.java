package dev.ferry.mongodb.changestream;

import java.util.ArrayList;
import java.util.List;

import org.bson.Document;
import org.bson.RawBsonDocument;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.changestream.ChangeStreamDocument;

import dev.ferry.core.relay.Change;
import dev.ferry.core.relay.ChangeSource;
import dev.ferry.core.relay.ResumeToken;
import dev.ferry.core.relay.StartPosition;
import dev.ferry.mongodb.store.CommitDocuments;
import dev.ferry.mongodb.store.RelaxedJson;

/**
 * The event-store collection's change stream as a {@link ChangeSource}: every inserted commit becomes a
 * {@link Change.Commit}; a document that is not a valid commit becomes a {@link Change.Malformed} (never a stop
 * or a crash loop). Commits are insert-only, so only inserts are read.
 */
public final class MongoChangeSource implements ChangeSource {

    private static final List<Document> INSERTS_ONLY =
        List.of(new Document("$match", new Document("operationType", "insert")));

    private final MongoCollection<RawBsonDocument> commits;
    private final ChangeStreamTail.Settings settings;

    public MongoChangeSource(MongoCollection<RawBsonDocument> commits, ChangeStreamTail.Settings settings) {
        this.commits = commits;
        this.settings = settings;
    }

    @Override
    public ChangeFeed open(StartPosition start) {
        ChangeStreamTail tail = ChangeStreamTail.open(commits, INSERTS_ONLY, start, settings);
        return new ChangeFeed() {
            @Override
            public List<Change> poll() {
                List<ChangeStreamDocument<RawBsonDocument>> batch = tail.poll();
                List<Change> changes = new ArrayList<>(batch.size());
                for (ChangeStreamDocument<RawBsonDocument> change : batch) {
                    changes.add(toChange(change));
                }
                return changes;
            }

            @Override
            public ResumeToken position() {
                return tail.resumeToken();
            }

            @Override
            public void close() {
                tail.close();
            }
        };
    }

    private static Change toChange(ChangeStreamDocument<RawBsonDocument> change) {
        ResumeToken token = new ResumeToken(RelaxedJson.of(change.getResumeToken()));
        RawBsonDocument document = change.getFullDocument();
        if (document == null) {
            return new Change.Malformed(token, "{}", "insert event without a document");
        }
        try {
            return new Change.Commit(token, CommitDocuments.decode(document));
        } catch (CommitDocuments.MalformedCommit e) {
            return new Change.Malformed(token, document.toJson(), "not a valid commit: " + e.getMessage());
        }
    }
}
