package dev.ferry.mongodb.changestream;

import java.util.ArrayList;
import java.util.List;

import org.bson.BsonValue;

import dev.ferry.core.relay.spi.Change;
import dev.ferry.mongodb.store.RelaxedJson;

/**
 * {@code ferry_watermarks}: the collection a relay writes its copy's watermarks to, one in each database that holds
 * an entity collection, so that they come back through the same change stream as the entities' changes (see
 * {@link dev.ferry.core.relay.spi.SourceCopy#readChunk}). Only its inserts are read; each is a
 * {@link Change.Watermark} whose value is the document's {@code _id}, and publishes nothing.
 */
public final class WatermarkCollection {

    /** The collection's name, in the source's database (part of what Ferry's users' databases hold). */
    public static final String NAME = "ferry_watermarks";
    /** Source names are the configuration's; this prefix keeps the watermark collections apart from them. */
    private static final String SOURCE_PREFIX = "ferry watermarks of ";

    private WatermarkCollection() {
    }

    /**
     * {@code collections} and, after them, the watermark collection of each database holding one of them whose
     * documents change in place: a stream of them also carries the watermarks of their copies.
     */
    public static List<WatchedCollection> besides(List<WatchedCollection> collections) {
        List<WatchedCollection> watched = new ArrayList<>(collections);
        collections.stream().filter(WatchedCollection::readsEveryOperation).map(WatchedCollection::database)
            .distinct()
            .forEach(database -> watched.add(new WatchedCollection(SOURCE_PREFIX + database, database, NAME,
                (token, document) -> {
                    // Anything else written there is no relay's watermark: passed over, never published.
                    BsonValue id = document.get("_id");
                    return new Change.Watermark(token, id != null && id.isString() ? id.asString().getValue()
                        : RelaxedJson.of(document));
                })));
        return watched;
    }
}
