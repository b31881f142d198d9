package dev.ferry.app.wiring;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.bson.BsonDocument;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoDatabase;

import dev.ferry.config.SourceConfig;
import dev.ferry.core.event.VersionRule;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.mongodb.changestream.DocumentReaders;
import dev.ferry.mongodb.changestream.WatchedCollection;
import dev.ferry.mongodb.copy.CopiedCollection;
import dev.ferry.mongodb.entity.EntityChanges;
import dev.ferry.mongodb.entity.EntitySource;
import dev.ferry.mongodb.mapping.EventMapping;

/** The configured sources as the collections a relay watches, each with the reader of its kind. */
final class RelayedSources {

    /** In Ferry's database: the versions of the deletes of entity sources with a version field of their own. */
    static final String TOMBSTONE_LEDGER = "ferry_entity_tombstones";

    private RelayedSources() {
    }

    /**
     * @param client where entity sources look up what a batch of their changes needs (rival ids)
     * @param ferry  Ferry's own database: where entity sources with a version field keep their tombstones' versions
     */
    static List<WatchedCollection> watched(List<SourceConfig> sources, TopicNaming topics, MongoClient client,
                                           MongoDatabase ferry) {
        return sources.stream().map(source -> watched(source, topics, client, ferry)).toList();
    }

    private static WatchedCollection watched(SourceConfig source, TopicNaming topics, MongoClient client,
                                             MongoDatabase ferry) {
        return new WatchedCollection(source.name(), source.database(), source.collection(),
            reader(source, topics, client, ferry));
    }

    private static WatchedCollection.DocumentReader reader(SourceConfig source, TopicNaming topics, MongoClient client,
                                                           MongoDatabase ferry) {
        return source.dispatch(new SourceConfig.Kinds<WatchedCollection.DocumentReader>() {
            @Override
            public WatchedCollection.DocumentReader commits(SourceConfig.Commits commits) {
                return DocumentReaders.commits();
            }

            @Override
            public WatchedCollection.DocumentReader events(SourceConfig.Events events) {
                return DocumentReaders.mappedEvents(mapping(events), topics);
            }

            @Override
            public WatchedCollection.DocumentReader entities(SourceConfig.Entities entities) {
                topics.checkAggregateType(entities.entity());
                return new EntityChanges(new EntitySource(entities.name(), entities.entity(), entities.database(),
                    entities.collection(), entities.maxRecordBytes(), entities.prePostImages(), entities.versionField()),
                    client.getDatabase(entities.database()).getCollection(entities.collection(), BsonDocument.class),
                    ferry.getCollection(TOMBSTONE_LEDGER, BsonDocument.class));
            }
        });
    }

    /**
     * Every source as a copy reads it, in the order that keeps its versions ascending: any source can be copied
     * ({@code relay.start: earliest}, the recopy policy, an operator's request), not only those copied first.
     */
    static List<CopiedCollection> copyable(List<SourceConfig> sources, TopicNaming topics, MongoClient client,
                                           MongoDatabase ferry) {
        List<CopiedCollection> copied = new ArrayList<>();
        for (SourceConfig source : sources) {
            WatchedCollection watched = watched(source, topics, client, ferry);
            copied.add(source.dispatch(new SourceConfig.Kinds<CopiedCollection>() {
                @Override
                public CopiedCollection commits(SourceConfig.Commits commits) {
                    return CopiedCollection.commits(source.name(), watched);
                }

                @Override
                public CopiedCollection events(SourceConfig.Events events) {
                    return new CopiedCollection(source.name(), watched, order(events), false);
                }

                @Override
                public CopiedCollection entities(SourceConfig.Entities entities) {
                    return new CopiedCollection(source.name(), watched, List.of("_id"), true); // one version per id
                }
            }));
        }
        return copied;
    }

    /** The names of the sources configured to copy before streaming ({@code initialLoad: copy}). */
    static List<String> copiedFirst(List<SourceConfig> sources) {
        return sources.stream().filter(SourceConfig::copiesFirst).map(SourceConfig::name).toList();
    }

    /** An aggregate's events together, by version: type (if a field), id (or the stream field), version. */
    private static List<String> order(SourceConfig.Events events) {
        List<String> order = new ArrayList<>();
        if (events.aggregateTypeField() != null) {
            order.add(events.aggregateTypeField());
        }
        order.add(events.stream() != null ? events.stream().field() : events.aggregateId());
        order.add(events.version());
        return order;
    }

    static EventMapping mapping(SourceConfig.Events events) {
        EventMapping.AggregateType type;
        if (events.aggregateType() != null) {
            type = new EventMapping.AggregateType.Constant(events.aggregateType());
        } else if (events.aggregateTypeField() != null) {
            type = new EventMapping.AggregateType.Field(events.aggregateTypeField());
        } else if (events.stream().regex() != null) {
            type = new EventMapping.AggregateType.Derived(events.stream().field(), Pattern.compile(events.stream().regex()));
        } else {
            type = EventMapping.AggregateType.Derived.bySeparator(events.stream().field(), events.stream().separator());
        }
        Map<String, String> metadata = new HashMap<>(events.metadata());
        return new EventMapping(type, events.aggregateId(), events.version(), events.versionBase(),
            VersionRule.fromWireName(events.versionRule()), events.eventType(), events.eventId(), events.timestamp(),
            events.payload(), metadata);
    }
}
