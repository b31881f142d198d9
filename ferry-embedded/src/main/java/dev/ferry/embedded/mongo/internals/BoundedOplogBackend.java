package dev.ferry.embedded.mongo.internals;

import java.time.Clock;

import de.bwaldvogel.mongo.backend.Cursor;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.bson.BsonTimestamp;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;
import de.bwaldvogel.mongo.oplog.Oplog;
import io.netty.channel.Channel;

/**
 * mongo-java-server's memory backend with {@link BoundedOplog} in place of the stock oplog, ordered indexes that serve
 * equality-plus-more queries, ranges and sorted pages ({@link NarrowingUniqueIndex}, {@link OrderedIndex}), change streams on databases and the deployment with
 * post-batch resume tokens ({@link ChangeStreamCommands}), renames recorded in the oplog, its oldest and newest entries
 * readable in {@code local.oplog.rs} ({@link OplogCollection}), and an {@code operationTime} in every reply. Commands
 * reach it from {@link WireServer}, on the lanes of {@link CommandLanes}.
 */
public final class BoundedOplogBackend extends MemoryBackend {

    private static final String ADMIN = "admin";

    private final int oplogCapacity;
    private final UpdateImages updateImages = new UpdateImages();
    private final ChangeStreamCommands changeStreams;
    private final BoundedOplog.Reads reads;
    private volatile BoundedOplog boundedOplog;

    /** @param reads how the oplog reads a collection's document from whichever lane it runs on */
    BoundedOplogBackend(int oplogCapacity, BoundedOplog.Reads reads) {
        super(Clock.systemUTC());
        version(HelloReply.CLAIMED_VERSION);
        this.oplogCapacity = oplogCapacity;
        this.reads = reads;
        this.changeStreams = new ChangeStreamCommands(this, getCursorRegistry());
    }

    @Override
    public IndexedMemoryDatabase openOrCreateDatabase(String databaseName) {
        return new IndexedMemoryDatabase(databaseName, getCursorRegistry(), updateImages);
    }

    @Override
    protected Oplog createOplog() {
        boundedOplog = new BoundedOplog(this, getCursorRegistry(), getClock(), oplogCapacity, updateImages, reads);
        return boundedOplog;
    }

    /** The oplog, once {@code enableOplog()} has created it. */
    public BoundedOplog oplog() {
        return boundedOplog;
    }

    /** Whether the cursor is an open change stream's (whose getMore may wait for the oplog to grow). */
    boolean isChangeStream(long cursorId) {
        try {
            return getCursorRegistry().getCursor(cursorId) instanceof ChangeStreamCursor;
        } catch (MongoServerError e) {
            return false; // no such cursor: the getMore itself fails with CursorNotFound
        }
    }

    @Override
    public Document handleCommand(Channel channel, String databaseName, String command, Document query) {
        // A command that failed half-way may have left images of documents it updated; they are not this command's.
        updateImages.clear();
        Document reply = dispatch(channel, databaseName, command, query);
        if (boundedOplog != null) {
            // The time of the newest write this reply reflects; a stream started at it begins with that write.
            reply.put("operationTime", new BsonTimestamp(boundedOplog.lastTimestamp()));
        }
        return reply;
    }

    private Document dispatch(Channel channel, String databaseName, String command, Document query) {
        Document changeStream = ChangeStreamCommands.changeStreamStage(command, query);
        if (changeStream != null && boundedOplog != null) {
            return changeStreams.open(databaseName, command, query, changeStream, boundedOplog);
        }
        if (boundedOplog != null && OplogCollection.isRead(databaseName, command, query)) {
            return OplogCollection.find(query, boundedOplog);
        }
        if (HelloReply.answers(command)) {
            return HelloReply.to(command, query, super.handleCommand(channel, databaseName, "ismaster", query));
        }
        Document reply = super.handleCommand(channel, databaseName, command, query);
        if (boundedOplog != null && ADMIN.equals(databaseName) && command.equalsIgnoreCase("renameCollection")
            && !query.get(command).equals(query.get("to"))) {
            boundedOplog.handleRename(query.get(command).toString(), query.get("to").toString());
        }
        return reply;
    }

    @Override
    protected Document handleGetMore(String databaseName, String command, Document query) {
        Cursor cursor = getCursorRegistry().getCursor(((Number) query.get(command)).longValue());
        Document reply;
        try {
            reply = super.handleGetMore(databaseName, command, query);
        } catch (MongoServerError e) {
            // mongod deletes a cursor whose getMore failed (say, on an event too large to return): there is no retry
            getCursorRegistry().remove(cursor);
            throw e;
        }
        ChangeStreamCommands.addPostBatchResumeToken(cursor, reply);
        return reply;
    }

    @Override
    protected Document handleDropDatabase(String databaseName) {
        boolean existed = listDatabaseNames().contains(databaseName);
        Document reply = super.handleDropDatabase(databaseName);
        if (existed && boundedOplog != null) {
            boundedOplog.handleDropDatabase(databaseName);
        }
        return reply;
    }
}
