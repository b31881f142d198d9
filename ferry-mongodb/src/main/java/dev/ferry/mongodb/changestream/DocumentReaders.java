package dev.ferry.mongodb.changestream;

import dev.ferry.core.partition.TopicNaming;
import dev.ferry.core.relay.spi.Change;
import dev.ferry.mongodb.mapping.EventMapping;
import dev.ferry.mongodb.mapping.MappedEvents;
import dev.ferry.mongodb.mapping.UnmappableDocument;
import dev.ferry.mongodb.store.CommitDocuments;
import dev.ferry.mongodb.store.RelaxedJson;

/** The {@link WatchedCollection.DocumentReader} of each source kind. */
public final class DocumentReaders {

    private DocumentReaders() {
    }

    /** Ferry's event store: one commit per document. */
    public static WatchedCollection.DocumentReader commits() {
        return (token, document) -> {
            try {
                return new Change.Commit(token, CommitDocuments.decode(document));
            } catch (CommitDocuments.MalformedCommit e) {
                return new Change.Refused(token, RelaxedJson.of(document), "not a valid commit: " + e.getMessage());
            }
        };
    }

    /** An event store in the users' own schema: one event per document, by the mapping. */
    public static WatchedCollection.DocumentReader mappedEvents(EventMapping mapping, TopicNaming topics) {
        MappedEvents events = new MappedEvents(mapping, topics);
        return (token, document) -> {
            try {
                return new Change.MappedEvent(token, events.read(document));
            } catch (UnmappableDocument e) {
                return new Change.Refused(token, RelaxedJson.of(document), "not a mappable event: " + e.getMessage());
            }
        };
    }
}
