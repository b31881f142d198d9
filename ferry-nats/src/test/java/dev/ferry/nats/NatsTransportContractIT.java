package dev.ferry.nats;

import java.time.Duration;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;

import dev.ferry.core.lease.LeaseStore;
import dev.ferry.core.relay.spi.RecordPublisher;
import dev.ferry.core.subscription.PartitionedSubscription;
import dev.ferry.core.subscription.contract.TransportContract;
import dev.ferry.embedded.mongo.MongoUnderTest;
import dev.ferry.embedded.nats.NatsServerProcess;
import dev.ferry.mongodb.lease.MongoLeaseStore;

/**
 * NATS JetStream passes the transport contract: the relay's publishers and lease-owned partitions, on a nats-server
 * process, the partition leases in MongoDB. A crashed instance's partitions move once its leases expire (about two
 * lease TTLs).
 */
class NatsTransportContractIT extends TransportContract {

    /** Unused by NATS (leases, not sessions, decide ownership); the port asks for one. */
    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(6);

    private static NatsServerProcess server;
    private static MongoUnderTest mongo;
    private static MongoClient client;
    private static NatsSettings settings;
    private static LeaseStore leases;
    private static NatsTransport transport;

    @BeforeAll
    static void start() {
        server = NatsServerProcess.start();
        mongo = MongoUnderTest.start("ferry_nats");
        client = MongoClients.create(mongo.connectionString());
        settings = NatsSettings.local(server.url(), "contract" + System.nanoTime());
        // through the Transport port, as the relay and the engine reach the transport
        transport = new NatsTransport(settings);
        transport.prepareFor(Set.of());
        leases = new MongoLeaseStore(client.getDatabase(mongo.databaseName()), "leases_" + System.nanoTime());
    }

    @AfterAll
    static void stop() {
        client.close();
        mongo.close();
        server.close();
    }

    @Override
    protected RecordPublisher publisher() {
        return transport.relayPublishers().get();
    }

    @Override
    protected PartitionedSubscription subscription(String group, String instance) {
        return transport.subscription(group, instance, leases, SESSION_TIMEOUT);
    }

    @Override
    protected void crash(PartitionedSubscription subscription) {
        subscription.abandon();
    }

    @Override
    protected int partitions() {
        return settings.partitions();
    }

    @Override
    protected String sizeLimit() {
        return "max_payload";
    }
}
