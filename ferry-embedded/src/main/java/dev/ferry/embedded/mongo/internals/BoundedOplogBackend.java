package dev.ferry.embedded.mongo.internals;

import java.time.Clock;

import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.oplog.Oplog;

/**
 * mongo-java-server's memory backend with {@link BoundedOplog} in place of the stock oplog, and unique indexes that
 * serve equality-plus-more queries ({@link NarrowingUniqueIndex}).
 */
public final class BoundedOplogBackend extends MemoryBackend {

    private final int oplogCapacity;
    private BoundedOplog boundedOplog;

    public BoundedOplogBackend(int oplogCapacity) {
        super(Clock.systemUTC());
        this.oplogCapacity = oplogCapacity;
    }

    @Override
    public IndexedMemoryDatabase openOrCreateDatabase(String databaseName) {
        return new IndexedMemoryDatabase(databaseName, getCursorRegistry());
    }

    @Override
    protected Oplog createOplog() {
        boundedOplog = new BoundedOplog(this, getCursorRegistry(), getClock(), oplogCapacity);
        return boundedOplog;
    }

    /** The oplog, once {@code enableOplog()} has created it. */
    public BoundedOplog oplog() {
        return boundedOplog;
    }
}
