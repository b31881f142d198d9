package dev.ferry.embedded.mongo;

import java.net.InetSocketAddress;

import java.util.Set;

import dev.ferry.embedded.mongo.internals.WireServer;

/**
 * An in-process MongoDB wire-protocol server (mongo-java-server, memory backend) with Ferry's bounded,
 * commit-ordered oplog, for tests and the demo. Clients reach it only through the official driver, at
 * {@link #connectionString()}, exactly as they would reach Atlas. See this module's README for what it
 * does not do.
 */
public final class EmbeddedMongo implements AutoCloseable {

    /** Default number of oplog entries kept, the embedded counterpart of a replica set's oplog window. */
    public static final int DEFAULT_OPLOG_CAPACITY = 200_000;
    /**
     * Collections whose commands never wait behind other collections' commands, as on a real server whose locks are
     * per document: Ferry's leases (and the relay's checkpoint in them), renewed within a TTL of about a second.
     */
    public static final Set<String> DEFAULT_SMALL_COLLECTIONS = Set.of("ferry_leases");

    private final WireServer server;
    private final InetSocketAddress address;

    private EmbeddedMongo(int port, int oplogCapacity) {
        this.server = new WireServer(new InetSocketAddress("127.0.0.1", port), oplogCapacity,
            DEFAULT_SMALL_COLLECTIONS);
        this.address = server.address();
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
        return server.connectionString();
    }

    public int port() {
        return address.getPort();
    }

    /** Entries the oplog currently holds. */
    public int oplogSize() {
        return server.backend().oplog().size();
    }

    @Override
    public void close() {
        server.close();
    }
}
