package dev.ferry.it.support;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

import org.bson.BsonDocument;
import org.bson.Document;
import org.bson.RawBsonDocument;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;

import dev.ferry.core.event.Event;
import dev.ferry.core.lease.LeaseStore;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.core.projection.Projection;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.RelaySettings;
import dev.ferry.core.relay.spi.ChangeSource;
import dev.ferry.core.relay.spi.CheckpointStore;
import dev.ferry.core.relay.spi.RecordPublisher;
import dev.ferry.core.relay.spi.SourceCopy;
import dev.ferry.core.relay.spi.StartPosition;
import dev.ferry.core.replica.ReplicaWriter;
import dev.ferry.core.subscription.PartitionedSubscription;
import dev.ferry.core.target.ParkedEvents;
import dev.ferry.embedded.kafka.EmbeddedKafka;
import dev.ferry.embedded.mongo.MongoUnderTest;
import dev.ferry.engine.ProcessorSettings;
import dev.ferry.engine.ProjectionProcessor;
import dev.ferry.engine.ReplicationProcessor;
import dev.ferry.kafka.projector.ProjectorRuntime;
import dev.ferry.kafka.publish.KafkaPublishers;
import dev.ferry.kafka.publish.KafkaSettings;
import dev.ferry.kafka.subscription.KafkaPartitionSubscription;
import dev.ferry.mongodb.changestream.ChangeStreamTail;
import dev.ferry.mongodb.changestream.MongoChangeSource;
import dev.ferry.mongodb.lease.MongoLeaseStore;
import dev.ferry.mongodb.parking.MongoParkedEvents;
import dev.ferry.mongodb.readmodel.MongoReadModelWriter;
import dev.ferry.mongodb.relay.MongoCheckpointStore;
import dev.ferry.mongodb.relay.MongoGapLog;
import dev.ferry.mongodb.store.CommitDocuments;
import dev.ferry.mongodb.store.MongoEventStore;

/**
 * A MongoDB (embedded, or real with FERRY_MONGODB_URI), an embedded Kafka broker, an event store and as many
 * relay and projector instances as a test wants, all wired as in production. Each test gets its own relay name, collections
 * and topic prefix, so tests sharing a broker do not see each other.
 */
public final class Pipeline implements AutoCloseable {

    public static final String EVENTS = "events";
    public static final String LEASES = "ferry_leases";
    public static final String GAPS = "ferry_gaps";

    private final MongoUnderTest mongo;
    private final EmbeddedKafka kafka;
    private final MongoClient client;
    private final MongoDatabase database;
    private final String topicPrefix = "t" + UUID.randomUUID().toString().substring(0, 8) + ".";
    private final KafkaSettings kafkaSettings;
    private final MongoEventStore store;
    private final List<ChangeStreamRelay> relays = new ArrayList<>();
    private final List<KafkaPublishers> publishers = new ArrayList<>();
    private final List<ProjectorRuntime> projectors = new ArrayList<>();
    private final List<ProjectionProcessor> processors = new ArrayList<>();
    private final List<ReplicationProcessor> replicators = new ArrayList<>();
    private final List<ReadModelHistory> histories = new ArrayList<>();
    private final Instant startedAt = Instant.now();
    private RelaySettings settings;

    /** @param kafka the broker, or null for a pipeline on another transport (its relays then start with publishers) */
    public Pipeline(MongoUnderTest mongo, EmbeddedKafka kafka) {
        this.mongo = mongo;
        this.kafka = kafka;
        this.client = MongoClients.create(mongo.connectionString());
        this.database = client.getDatabase(mongo.databaseName());
        // Without a broker the settings only name topics (the event store checks types against them).
        this.kafkaSettings = KafkaSettings.local(kafka == null ? "127.0.0.1:9" : kafka.bootstrapServers())
            .withTopics(new TopicNaming(topicPrefix), topicPrefix + "dead-letter");
        this.store = new MongoEventStore(database, EVENTS, kafkaSettings.topicNaming(),
            MongoEventStore.DEFAULT_MAX_EVENT_BYTES).createIndexes();
        // Start from the test's own beginning: appends made before a relay first leads are relayed too.
        this.settings = RelaySettings.defaults("relay-" + topicPrefix)
            .withInitialPosition(new StartPosition.AtTime(startedAt.minusSeconds(1)));
    }

    public Pipeline withSettings(RelaySettings changed) {
        this.settings = changed;
        return this;
    }

    public RelaySettings settings() {
        return settings;
    }

    public MongoEventStore store() {
        return store;
    }

    public MongoDatabase database() {
        return database;
    }

    public MongoClient client() {
        return client;
    }

    public String topicPrefix() {
        return topicPrefix;
    }

    public String deadLetterTopic() {
        return kafkaSettings.deadLetterTopic();
    }

    public EmbeddedKafka kafka() {
        return kafka;
    }

    public TopicRecords topics() {
        return new TopicRecords(kafka.bootstrapServers());
    }

    /** Starts a relay instance wired as in production. */
    public ChangeStreamRelay startRelay(String instanceId) {
        return startRelay(instanceId, leases -> leases, publishers -> publishers);
    }

    /** Starts a relay instance whose lease store and publishers a test may wrap (to pause them, say). */
    public ChangeStreamRelay startRelay(String instanceId, java.util.function.UnaryOperator<LeaseStore> leaseWrapper,
                                        java.util.function.UnaryOperator<Supplier<RecordPublisher>> publisherWrapper) {
        return startRelay(instanceId, new MongoChangeSource(database.getCollection(EVENTS, RawBsonDocument.class),
            ChangeStreamTail.Settings.DEFAULT), SourceCopy.NONE, leaseWrapper, publisherWrapper);
    }

    /** Starts a relay instance of the event store on another transport: {@code transport} makes its publishers. */
    public ChangeStreamRelay startRelayOn(String instanceId, Supplier<RecordPublisher> transport) {
        ChangeStreamRelay relay = new ChangeStreamRelay(settings, instanceId, new MongoChangeSource(
            database.getCollection(EVENTS, RawBsonDocument.class), ChangeStreamTail.Settings.DEFAULT), SourceCopy.NONE,
            transport, checkpoints(), new MongoLeaseStore(database, LEASES), new MongoGapLog(database, GAPS));
        relays.add(relay);
        relay.start();
        return relay;
    }

    /** Starts a relay instance of other sources than the event store (e.g. several collections through one stream). */
    public ChangeStreamRelay startRelay(String instanceId, ChangeSource source) {
        return startRelay(instanceId, source, SourceCopy.NONE, leases -> leases, publishers -> publishers);
    }

    /** Starts a relay instance that copies {@code copy}'s sources before it streams. */
    public ChangeStreamRelay startRelay(String instanceId, ChangeSource source, SourceCopy copy) {
        return startRelay(instanceId, source, copy, leases -> leases, publishers -> publishers);
    }

    /** A relay whose publishers are wrapped, e.g. to hold a term's records back at a chosen point. */
    public ChangeStreamRelay startRelay(String instanceId, ChangeSource source, SourceCopy copy,
                                        java.util.function.UnaryOperator<Supplier<RecordPublisher>> publisherWrapper) {
        return startRelay(instanceId, source, copy, leases -> leases, publisherWrapper);
    }

    private ChangeStreamRelay startRelay(String instanceId, ChangeSource source, SourceCopy copy,
                                         java.util.function.UnaryOperator<LeaseStore> leaseWrapper,
                                         java.util.function.UnaryOperator<Supplier<RecordPublisher>> publisherWrapper) {
        KafkaPublishers kafkaPublishers = new KafkaPublishers(kafkaSettings);
        kafkaPublishers.ensureTopic(kafkaSettings.deadLetterTopic());
        publishers.add(kafkaPublishers);
        ChangeStreamRelay relay = new ChangeStreamRelay(settings, instanceId, source, copy,
            publisherWrapper.apply(kafkaPublishers), checkpoints(), leaseWrapper.apply(new MongoLeaseStore(database, LEASES)),
            new MongoGapLog(database, GAPS));
        relays.add(relay);
        relay.start();
        return relay;
    }

    /** Starts a projector instance; a change stream on its read model (opened first) records every write for the checks. */
    public ProjectorRuntime startProjector(String instanceId, Projection projection, ProcessorSettings projectorSettings) {
        return startProjector(instanceId, projection, projectorSettings, parkedEvents());
    }

    /** Starts a projector instance that parks into the given store (e.g. one that fails at times). */
    public ProjectorRuntime startProjector(String instanceId, Projection projection, ProcessorSettings projectorSettings,
                                           ParkedEvents parkedEvents) {
        watchReadModel(projection);
        ProjectorRuntime projector = new ProjectorRuntime(projection, new MongoReadModelWriter(database, false),
            parkedEvents, projectorSettings, kafkaSettings, instanceId);
        projectors.add(projector);
        projector.start();
        return projector;
    }

    /**
     * Starts a projector instance over another transport's subscription (e.g. NATS), with the same writer, read-model
     * history and parked store as {@link #startProjector(String, Projection, ProcessorSettings)}.
     */
    public ProjectionProcessor startProjector(String instanceId, Projection projection, ProcessorSettings projectorSettings,
                                              PartitionedSubscription subscription) {
        watchReadModel(projection);
        ProjectionProcessor processor = new ProjectionProcessor(projection, new MongoReadModelWriter(database, false),
            parkedEvents(), projectorSettings, subscription, instanceId);
        processors.add(processor);
        processor.start();
        return processor;
    }

    /**
     * Starts a replicator instance of one target over Kafka: consumer group {@code target}, the entities' topics, the
     * same parked store as the projectors.
     */
    public ReplicationProcessor startReplicator(String instanceId, String target, Set<String> entities,
                                                ReplicaWriter writer, ProcessorSettings replicatorSettings) {
        ReplicationProcessor replicator = new ReplicationProcessor(target, entities, writer, null, parkedEvents(),
            replicatorSettings, new KafkaPartitionSubscription(kafkaSettings, "ferry-replica-" + target,
                target + "-" + instanceId, replicatorSettings.sessionTimeout()), instanceId);
        replicators.add(replicator);
        replicator.start();
        return replicator;
    }

    /** The lease store projectors on a lease-owned transport share with the relay (another collection's keys). */
    public LeaseStore leases() {
        return new MongoLeaseStore(database, LEASES);
    }

    public ParkedEvents parkedEvents() {
        return new MongoParkedEvents(database);
    }

    public KafkaSettings kafkaSettings() {
        return kafkaSettings;
    }

    /**
     * The change stream on a projection's read model, opened now if not yet (before its first projector starts, so
     * that every write is seen): the independent record of its writes that {@link ReadModelCheck} counts.
     */
    public ReadModelHistory watchReadModel(Projection projection) {
        ReadModelHistory history = ReadModelHistory.watch(database.getCollection(projection.name()));
        if (!histories.contains(history)) {
            histories.add(history);
        }
        return history;
    }

    /** Compares a read model with the fold of the event store, and counts the writes its change stream showed. */
    public ReadModelCheck checkReadModel(Projection projection) {
        return ReadModelCheck.of(storedEvents(), database.getCollection(projection.name()));
    }

    public CheckpointStore checkpoints() {
        return new MongoCheckpointStore(database, LEASES);
    }

    /** The relay's lease document as stored. */
    public Document leaseDocument() {
        return database.getCollection(LEASES).find(new Document("_id", settings.name())).first();
    }

    /** Every event the store holds, read straight from its collection. */
    public List<Event> storedEvents() {
        List<Event> events = new ArrayList<>();
        for (BsonDocument commit : database.getCollection(EVENTS, BsonDocument.class).find()) {
            if (commit.containsKey("events")) {
                events.addAll(CommitDocuments.decode(commit));
            }
        }
        return events;
    }

    public DeliveryCheck check() {
        return DeliveryCheck.of(storedEvents(), topics().read(topicPrefix, deadLetterTopic()));
    }

    /** Events the topics hold right now (dead letters included). */
    public long recordCount() {
        return topics().count(topicPrefix);
    }

    @Override
    public void close() {
        for (ProjectorRuntime projector : projectors) {
            projector.kill();
        }
        processors.forEach(ProjectionProcessor::kill);
        replicators.forEach(ReplicationProcessor::kill);
        for (ChangeStreamRelay relay : relays) {
            relay.kill();
        }
        publishers.forEach(KafkaPublishers::close);
        histories.forEach(ReadModelHistory::close);
        if (!mongo.isEmbedded()) {
            database.drop();
        }
        client.close();
    }
}
