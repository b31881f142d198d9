package dev.ferry.it.support;

import java.util.ArrayList;
import java.util.List;

import org.bson.BsonDocument;

import dev.ferry.mongodb.changestream.ChangeStreamTail;
import dev.ferry.mongodb.changestream.MongoChangeSource;
import dev.ferry.mongodb.changestream.WatchedCollection;
import dev.ferry.mongodb.copy.CopiedCollection;
import dev.ferry.mongodb.copy.MongoSourceCopy;
import dev.ferry.mongodb.entity.EntityChanges;
import dev.ferry.mongodb.entity.EntitySource;

/**
 * Entity collections of a pipeline's database as a relay reads them, wired as in production: each collection named
 * after its entity, versioned by cluster time (no pre-images), its changes streamed and its documents copied in
 * {@code _id} order.
 */
public final class EntitySources {

    private final Pipeline pipeline;
    private final List<String> entities;

    public EntitySources(Pipeline pipeline, List<String> entities) {
        this.pipeline = pipeline;
        this.entities = List.copyOf(entities);
    }

    public List<WatchedCollection> watched() {
        String database = pipeline.database().getName();
        List<WatchedCollection> watched = new ArrayList<>();
        for (String entity : entities) {
            EntitySource source = new EntitySource(entity, entity, database, entity,
                EntitySource.DEFAULT_MAX_RECORD_BYTES, false);
            watched.add(new WatchedCollection(entity, database, entity,
                new EntityChanges(source, pipeline.database().getCollection(entity, BsonDocument.class))));
        }
        return watched;
    }

    /** The collections' changes, through one stream. */
    public MongoChangeSource changeSource() {
        return MongoChangeSource.of(pipeline.client(), watched(), ChangeStreamTail.Settings.DEFAULT);
    }

    /** Every collection copied (each source named after its entity), first and on request. */
    public MongoSourceCopy copy() {
        return new MongoSourceCopy(pipeline.client(), watched().stream()
            .map(collection -> new CopiedCollection(collection.name(), collection, List.of("_id"), true)).toList());
    }
}
