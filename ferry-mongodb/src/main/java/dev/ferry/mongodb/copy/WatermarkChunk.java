package dev.ferry.mongodb.copy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.bson.BsonDocument;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.FerryRecord;
import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.core.relay.spi.SourceCopy;
import dev.ferry.mongodb.changestream.WatchedCollection;

/**
 * The documents of an entity collection read between a low and a high watermark. They stay documents until the
 * high watermark: made into changes then, versioned there, except those whose key the stream changed in between.
 */
final class WatermarkChunk implements SourceCopy.Chunk {

    private final WatchedCollection watched;
    private final WatchedCollection.ChangeReader reader;
    private final List<BsonDocument> documents;
    private final List<WatchedCollection.RecordKey> keys;
    private final Set<WatchedCollection.RecordKey> changed = new HashSet<>();
    private final String position;
    private final boolean done;

    WatermarkChunk(WatchedCollection watched, List<BsonDocument> documents, String position, boolean done) {
        this.watched = watched;
        this.reader = (WatchedCollection.ChangeReader) watched.reader();
        this.documents = List.copyOf(documents);
        this.keys = this.documents.stream().map(reader::keyOf).toList();
        this.position = position;
        this.done = done;
    }

    @Override
    public void changedInWindow(FerryRecord record) {
        if (record instanceof EntityChange) { // an event of an aggregate type named like the entity is not a change of it
            changed.add(new WatchedCollection.RecordKey(record.type(), record.key()));
        }
    }

    @Override
    public List<Change> changes(ResumeToken highWatermark) {
        List<BsonDocument> kept = new ArrayList<>(documents.size());
        for (int i = 0; i < documents.size(); i++) {
            if (!changed.contains(keys.get(i))) {
                kept.add(documents.get(i));
            }
        }
        return kept.isEmpty() ? List.of() : watched.readCopied(highWatermark, highWatermark, kept);
    }

    @Override
    public String position() {
        return position;
    }

    @Override
    public boolean done() {
        return done;
    }
}
