package dev.ferry.embedded.mongo;

import java.net.InetSocketAddress;

import de.bwaldvogel.mongo.MongoServer;
import dev.ferry.embedded.mongo.internals.BoundedOplogBackend;

/**
 * An in-process MongoDB wire-protocol server (mongo-java-server, memory backend) with Ferry's bounded,
 * commit-ordered oplog, for tests and the demo. Clients reach it only through the official driver, at
 * {@link #connectionString()}, exactly as they would reach Atlas. See this module's README for what it
 * does not do.
 */
public final class EmbeddedMongo implements AutoCloseable {

    /** Default number of oplog entries kept, the embedded counterpart of a replica set's oplog window. */
    public static final int DEFAULT_OPLOG_CAPACITY = 200_000;

    private final MongoServer server;
    private final BoundedOplogBackend backend;
    private final InetSocketAddress address;

    private EmbeddedMongo(int port, int oplogCapacity) {
        this.backend = new BoundedOplogBackend(oplogCapacity);
        this.server = new MongoServer(backend);
        server.enableOplog();
        // One worker thread: each command then runs to completion before the next starts, so the oplog
        // records writes in commit order. The stock server writes the oplog outside the collection lock.
        server.bind(new InetSocketAddress("127.0.0.1", port), 1, 1);
        this.address = server.getLocalAddress();
    }

    /** Starts a server on a free loopback port with the default oplog capacity. */
    public static EmbeddedMongo start() {
        return start(0, DEFAULT_OPLOG_CAPACITY);
    }

    /**
     * Starts a server.
     *
     * @param port          loopback port, 0 for a free one
     * @param oplogCapacity entries kept before the oldest are evicted (resuming before them fails with 286)
     */
    public static EmbeddedMongo start(int port, int oplogCapacity) {
        return new EmbeddedMongo(port, oplogCapacity);
    }

    public String connectionString() {
        return "mongodb://" + address.getHostString() + ":" + address.getPort();
    }

    public int port() {
        return address.getPort();
    }

    /** Entries the oplog currently holds. */
    public int oplogSize() {
        return backend.oplog().size();
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}
