package dev.ferry.app.wiring;

import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.bson.RawBsonDocument;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;

import dev.ferry.config.SourceConfig;
import dev.ferry.core.lease.LeaseStore;
import dev.ferry.core.projection.Projection;
import dev.ferry.core.projection.ReadModelWriter;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.RelaySettings;
import dev.ferry.core.relay.spi.CheckpointStore;
import dev.ferry.core.relay.spi.SourceCopy;
import dev.ferry.core.replica.ReplicaWriter;
import dev.ferry.core.target.ParkedEvents;
import dev.ferry.core.transport.Transport;
import dev.ferry.engine.ChangeNotifier;
import dev.ferry.engine.ProcessorSettings;
import dev.ferry.engine.ProjectionProcessor;
import dev.ferry.engine.ReplicationProcessor;
import dev.ferry.kafka.KafkaTransport;
import dev.ferry.kafka.publish.KafkaSettings;
import dev.ferry.mongodb.changestream.ChangeStreamTail;
import dev.ferry.mongodb.changestream.MongoChangeSource;
import dev.ferry.mongodb.changestream.OplogWindow;
import dev.ferry.mongodb.changestream.WatchedCollection;
import dev.ferry.mongodb.copy.CopiedCollection;
import dev.ferry.mongodb.copy.MongoSourceCopy;
import dev.ferry.mongodb.lease.MongoLeaseStore;
import dev.ferry.mongodb.parking.MongoParkedEvents;
import dev.ferry.mongodb.relay.MongoCheckpointStore;
import dev.ferry.mongodb.relay.MongoGapLog;
import dev.ferry.mongodb.store.MongoEventStore;

/**
 * Wires Ferry's parts on MongoDB and a {@link Transport} (Kafka or NATS JetStream) the way every command uses them:
 * one place that knows the collection names and which implementation serves which port.
 */
public final class Components implements AutoCloseable {

    public static final String LEASES = MongoLeaseStore.COLLECTION;
    public static final String GAPS = MongoGapLog.COLLECTION;

    private final MongoClient client;
    private final MongoDatabase database;
    private final MongoDatabase eventsDatabase;
    private final String eventsCollection;
    private final Transport transport;

    /** The event store in Ferry's own database. */
    public Components(String mongoUri, String databaseName, String eventsCollection, Transport transport) {
        this(mongoUri, databaseName, databaseName, eventsCollection, transport);
    }

    /** The event store in Ferry's own database, on Kafka. */
    public Components(String mongoUri, String databaseName, String eventsCollection, KafkaSettings kafka) {
        this(mongoUri, databaseName, databaseName, eventsCollection, new KafkaTransport(kafka));
    }

    /**
     * @param databaseName     Ferry's own state: leases, checkpoints, gaps, parked events, read models
     * @param eventsDatabase   the event store's database (a source may live outside Ferry's)
     * @param eventsCollection the event store's collection
     */
    public Components(String mongoUri, String databaseName, String eventsDatabase, String eventsCollection,
                      Transport transport) {
        this.client = MongoClients.create(mongoUri);
        this.database = client.getDatabase(databaseName);
        this.eventsDatabase = client.getDatabase(eventsDatabase);
        this.eventsCollection = eventsCollection;
        this.transport = transport;
    }

    public MongoDatabase database() {
        return database;
    }

    public Transport transport() {
        return transport;
    }

    /** The relay's publishers on this transport; the caller closes them after the relay. */
    public Transport.Publishers relayPublishers() {
        return transport.relayPublishers();
    }

    public MongoEventStore eventStore() {
        return new MongoEventStore(eventsDatabase, eventsCollection, transport.topicNaming(), MongoEventStore.DEFAULT_MAX_EVENT_BYTES)
            .createIndexes();
    }

    /**
     * A relay instance (not started) of the event store; the caller keeps owning {@code publishers} and closes them
     * after the relay.
     */
    public ChangeStreamRelay relay(RelaySettings settings, String instanceId, Transport.Publishers publishers) {
        return relay(settings, instanceId, publishers, new MongoChangeSource(
            eventsDatabase.getCollection(eventsCollection, RawBsonDocument.class), ChangeStreamTail.Settings.DEFAULT),
            SourceCopy.NONE);
    }

    /** A relay instance (not started) of every configured source, through one change stream and one checkpoint. */
    public ChangeStreamRelay relay(RelaySettings settings, String instanceId, Transport.Publishers publishers,
                                   List<SourceConfig> sources) {
        List<WatchedCollection> watched = RelayedSources.watched(sources, transport.topicNaming(), client, database);
        List<CopiedCollection> copyable = RelayedSources.copyable(sources, transport.topicNaming(), client, database);
        return relay(settings, instanceId, publishers,
            MongoChangeSource.of(client, watched, ChangeStreamTail.Settings.DEFAULT),
            new MongoSourceCopy(client, copyable, RelayedSources.copiedFirst(sources)));
    }

    private ChangeStreamRelay relay(RelaySettings settings, String instanceId, Transport.Publishers publishers,
                                    MongoChangeSource source, SourceCopy copy) {
        return new ChangeStreamRelay(settings, instanceId, source, copy, publishers,
            new MongoCheckpointStore(database, LEASES), new MongoLeaseStore(database, LEASES),
            new MongoGapLog(database, GAPS));
    }

    /**
     * A projector instance (not started): the engine over this transport's partitions of the projection's aggregate
     * types, which are created here if missing.
     */
    public ProjectionProcessor projector(Projection projection, ReadModelWriter writer, ProcessorSettings settings,
                                         String instanceId) {
        transport.prepareFor(projection.aggregateTypes());
        return new ProjectionProcessor(projection, writer, parkedEvents(), settings, transport.subscription(
            projection.name(), instanceId, new MongoLeaseStore(database, LEASES), settings.sessionTimeout()), instanceId);
    }

    /**
     * A replicator instance (not started): the engine over this transport's partitions of the entities' topics (made
     * here if missing, compacted as the relay makes them), in consumer group {@code name}, writing {@code writer}.
     */
    public ReplicationProcessor replicator(String name, Set<String> entities, ReplicaWriter writer,
                                           ChangeNotifier notifier, ProcessorSettings settings, String instanceId) {
        transport.prepareForEntities(entities);
        return new ReplicationProcessor(name, entities, writer, notifier, parkedEvents(), settings,
            transport.subscription(name, instanceId, new MongoLeaseStore(database, LEASES), settings.sessionTimeout()),
            instanceId);
    }

    /** Where relays checkpoint, and operators' copy requests wait for the leader. */
    /** The relay's and the partitions' leases (the relay's lease document also holds its checkpoint). */
    public LeaseStore leases() {
        return new MongoLeaseStore(database, LEASES);
    }

        public CheckpointStore checkpoints() {
        return new MongoCheckpointStore(database, LEASES);
    }

    /** The deployment's oplog window (for the headroom `ferry status` shows). */
    public OplogWindow oplogWindow() {
        return new OplogWindow(client);
    }

    public ParkedEvents parkedEvents() {
        return new MongoParkedEvents(database);
    }

    public static String newInstanceId() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    @Override
    public void close() {
        client.close();
    }
}
