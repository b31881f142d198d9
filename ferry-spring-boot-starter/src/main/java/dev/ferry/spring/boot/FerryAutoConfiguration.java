package dev.ferry.spring.boot;

import java.util.Optional;
import java.util.UUID;

import org.bson.RawBsonDocument;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoDatabase;

import dev.ferry.core.projection.Projection;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.spi.SourceCopy;
import dev.ferry.core.store.EventStore;
import dev.ferry.core.transport.Transport;
import dev.ferry.engine.ProcessorSettings;
import dev.ferry.mongodb.changestream.ChangeStreamTail;
import dev.ferry.mongodb.changestream.MongoChangeSource;
import dev.ferry.mongodb.lease.MongoLeaseStore;
import dev.ferry.mongodb.parking.MongoParkedEvents;
import dev.ferry.mongodb.relay.MongoCheckpointStore;
import dev.ferry.mongodb.relay.MongoGapLog;
import dev.ferry.mongodb.store.MongoEventStore;
import dev.ferry.spring.boot.internals.BootTransports;
import dev.ferry.spring.boot.internals.CheckedSettings;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Ferry on the application's {@link MongoClient}: the event store ({@link MongoEventStore}, an {@code EventStore}),
 * the configured transport, every {@link Projection} bean running on Ferry's engine ({@link FerryProjections}) and,
 * with {@code ferry.relay.enabled=true}, a relay instance ({@link FerryRelay}). Meters go to the application's
 * {@link MeterRegistry} when it has one, under the names the CLI uses.
 */
@AutoConfiguration(afterName = "org.springframework.boot.mongodb.autoconfigure.MongoAutoConfiguration")
@ConditionalOnClass(MongoClient.class)
@ConditionalOnBean(MongoClient.class)
@EnableConfigurationProperties(FerryProperties.class)
public class FerryAutoConfiguration {

    /** This application's name in leases and consumer names: one per context, for its projections and its relay. */
    private final String instanceId;

    public FerryAutoConfiguration(FerryProperties properties) {
        this.instanceId = properties.instanceId().isEmpty() ? UUID.randomUUID().toString().substring(0, 8)
            : properties.instanceId();
    }

    @Bean
    @ConditionalOnMissingBean
    public Transport ferryTransport(FerryProperties properties) {
        return BootTransports.of(properties);
    }

    @Bean
    @ConditionalOnMissingBean(EventStore.class)
    public MongoEventStore ferryEventStore(MongoClient client, FerryProperties properties, Transport transport) {
        return new MongoEventStore(client.getDatabase(eventsDatabase(properties)), properties.eventsCollection(),
            transport.topicNaming(), MongoEventStore.DEFAULT_MAX_EVENT_BYTES).createIndexes();
    }

    @Bean
    @ConditionalOnMissingBean
    public FerryProjections ferryProjections(ObjectProvider<Projection> projections, MongoClient client,
                                             FerryProperties properties, Transport transport,
                                             ObjectProvider<MeterRegistry> registry) {
        MongoDatabase database = client.getDatabase(properties.database());
        var projector = CheckedSettings.projector(properties.projector());
        return new FerryProjections(projections.orderedStream().toList(), transport, database,
            new MongoParkedEvents(database), new MongoLeaseStore(database, MongoLeaseStore.COLLECTION),
            ProcessorSettings.DEFAULT.withLaneThreads(projector.lanes()), projector.applyLog(),
            instanceId, Optional.ofNullable(registry.getIfAvailable()),
            CheckedSettings.stallTimeout(properties));
    }

    @Bean
    @ConditionalOnProperty(prefix = "ferry.relay", name = "enabled", havingValue = "true")
    @ConditionalOnMissingBean
    public FerryRelay ferryRelay(MongoClient client, FerryProperties properties, Transport transport,
                                 ObjectProvider<MeterRegistry> registry) {
        var settings = CheckedSettings.relay(properties.relay()).settings();
        MongoDatabase database = client.getDatabase(properties.database());
        var events = client.getDatabase(eventsDatabase(properties))
            .getCollection(properties.eventsCollection(), RawBsonDocument.class);
        var checkpoints = new MongoCheckpointStore(database, MongoLeaseStore.COLLECTION);
        return new FerryRelay(settings.name(), transport::relayPublishers, publishers -> new ChangeStreamRelay(settings,
            instanceId, new MongoChangeSource(events, ChangeStreamTail.Settings.DEFAULT), SourceCopy.NONE, publishers,
            checkpoints, new MongoLeaseStore(database, MongoLeaseStore.COLLECTION),
            new MongoGapLog(database, MongoGapLog.COLLECTION)),
            checkpoints, Optional.ofNullable(registry.getIfAvailable()), CheckedSettings.stallTimeout(properties));
    }

    private static String eventsDatabase(FerryProperties properties) {
        return properties.eventsDatabase().isEmpty() ? properties.database() : properties.eventsDatabase();
    }
}
