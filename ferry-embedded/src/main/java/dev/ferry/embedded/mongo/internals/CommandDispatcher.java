package dev.ferry.embedded.mongo.internals;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;
import de.bwaldvogel.mongo.exception.MongoServerException;
import de.bwaldvogel.mongo.wire.OpCode;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import de.bwaldvogel.mongo.wire.message.MongoMessage;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;

/**
 * Takes each command (OP_MSG) off the connection's I/O thread and runs it on its lane ({@link CommandRoute}), then
 * writes the reply. A connection's commands run one at a time in the order they arrived, as on mongod (a request
 * that wants no reply may be followed by the next at once), and the connection is not read meanwhile, so a client
 * that sends faster than the server works is held back by TCP. The reply is encoded on the lane, before the next
 * command there can change a stored document the reply holds. A change-stream getMore that finds nothing waits
 * ({@link WaitingGetMores}) up to its {@code maxTimeMS}, as on a real server, instead of being answered empty at
 * once. Legacy OP_QUERY messages (the drivers' first handshake) go on to the stock handler.
 */
@ChannelHandler.Sharable
final class CommandDispatcher extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(CommandDispatcher.class);
    /** What a real server waits on an awaitData cursor's getMore without {@code maxTimeMS}. */
    private static final long DEFAULT_AWAIT_MILLIS = 1_000;
    private static final AttributeKey<Connection> CONNECTION = AttributeKey.valueOf("ferry-connection-commands");

    private final BoundedOplogBackend backend;
    private final CommandLanes lanes;
    private final WaitingGetMores waiting;
    private final AtomicInteger replyIds = new AtomicInteger();

    CommandDispatcher(BoundedOplogBackend backend, CommandLanes lanes, WaitingGetMores waiting) {
        this.backend = backend;
        this.lanes = lanes;
        this.waiting = waiting;
    }

    @Override
    public void channelRead(ChannelHandlerContext context, Object message) {
        if (!(message instanceof MongoMessage command)) {
            context.fireChannelRead(message);
            return;
        }
        Connection connection = connection(context.channel());
        Document query = command.getDocument();
        String name = query.keySet().iterator().next();
        if (name.equalsIgnoreCase("getMore") && query.get(name) instanceof Number cursorId
            && backend.isChangeStream(cursorId.longValue())) {
            long awaitMillis = query.get("maxTimeMS") instanceof Number max && max.longValue() > 0
                ? max.longValue() : DEFAULT_AWAIT_MILLIS;
            connection.submit(() -> {
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(awaitMillis);
                lanes.execute(CommandRoute.MAIN, () -> waiting.tryOrWait(last -> {
                    boolean answered = answer(command, last);
                    if (answered) {
                        connection.done();
                    }
                    return answered;
                }, deadline));
            });
            return;
        }
        CommandRoute route = CommandRoute.of(name, query, lanes.smallCollections());
        connection.submit(() -> lanes.execute(route, () -> {
            try {
                answer(command, true);
            } finally {
                connection.done();
            }
        }));
    }

    /** The connection's cursors and last results are dropped after its last command, not beside it. */
    @Override
    public void channelInactive(ChannelHandlerContext context) {
        Channel channel = context.channel();
        Connection connection = connection(channel);
        connection.submit(() -> lanes.onMain(() -> {
            try {
                backend.handleClose(channel);
            } finally {
                connection.done();
            }
        }));
    }

    private static Connection connection(Channel channel) {
        Connection connection = channel.attr(CONNECTION).get();
        if (connection == null) {
            connection = new Connection(channel);
            Connection existing = channel.attr(CONNECTION).setIfAbsent(connection);
            return existing == null ? connection : existing;
        }
        return connection;
    }

    /**
     * Runs the command and writes its reply, unless it is a getMore that found nothing and {@code last} is false. A
     * command whose client has gone still runs (a write is applied, as on mongod); only a getMore is dropped.
     *
     * @return whether the client was answered (or is gone)
     */
    private boolean answer(MongoMessage command, boolean last) {
        Channel channel = command.getChannel();
        boolean gone = !channel.isActive();
        if (gone && command.getDocument().containsKey("getMore")) {
            return true;
        }
        Document reply;
        try {
            reply = backend.handleMessage(command);
        } catch (MongoServerException e) {
            log.debug("command failed: {}", command.getDocument(), e);
            reply = error(e);
        } catch (RuntimeException | StackOverflowError e) {
            log.error("command failed unexpectedly: {}", command.getDocument(), e);
            reply = error(new MongoServerException("Unknown error: " + e.getMessage(), e));
        }
        if (!last && isEmptyBatch(reply)) {
            return false;
        }
        if (!gone) {
            write(channel, command.getHeader().getRequestID(), reply);
        }
        return true;
    }

    /** Encodes the reply here, as the stock encoder would on the I/O thread, and sends the bytes. */
    private void write(Channel channel, int responseTo, Document reply) {
        ByteBuf buffer = channel.alloc().buffer();
        try {
            buffer.writeIntLE(0) // the length, set below
                .writeIntLE(replyIds.incrementAndGet())
                .writeIntLE(responseTo)
                .writeIntLE(OpCode.OP_MSG.getId())
                .writeIntLE(0) // flag bits
                .writeByte(MongoMessage.SECTION_KIND_BODY);
            BsonEncoder.encodeDocument(reply, buffer);
            buffer.setIntLE(0, buffer.writerIndex());
        } catch (RuntimeException e) {
            buffer.release();
            log.error("failed to encode the reply {}; closing the connection", reply, e);
            channel.close();
            return;
        }
        channel.writeAndFlush(buffer);
    }

    /** A getMore reply with an empty batch from a cursor still open. */
    private static boolean isEmptyBatch(Document reply) {
        return reply.get("cursor") instanceof Document cursor && cursor.get("nextBatch") instanceof List<?> batch
            && batch.isEmpty() && cursor.get("id") instanceof Number id && id.longValue() != 0;
    }

    /** The error reply the stock handler sends. */
    private static Document error(MongoServerException exception) {
        Document reply = new Document();
        reply.put("$err", exception.getMessageWithoutErrorCode());
        reply.put("errmsg", exception.getMessageWithoutErrorCode());
        if (exception instanceof MongoServerError error) {
            reply.put("code", error.getCode());
            reply.putIfNotNull("codeName", error.getCodeName());
        }
        reply.put("ok", 0);
        return reply;
    }

    /**
     * One connection's commands: one runs at a time, the others wait here in order, and the socket is not read while
     * one runs. Each step hands its work to a lane and calls {@link #done()} when it has answered.
     */
    private static final class Connection {

        private final Channel channel;
        private final Deque<Runnable> pending = new ArrayDeque<>();
        private boolean running;

        Connection(Channel channel) {
            this.channel = channel;
        }

        void submit(Runnable step) {
            synchronized (this) {
                if (running) {
                    pending.add(step);
                    return;
                }
                running = true;
            }
            reading(false);
            step.run();
        }

        /** Turns reading the socket on or off, on the connection's I/O thread (Netty's rule), while it is open. */
        private void reading(boolean on) {
            Runnable toggle = () -> {
                if (channel.isActive()) { // a closed connection is deregistered: nothing to read
                    channel.config().setAutoRead(on);
                }
            };
            if (channel.eventLoop().inEventLoop()) {
                toggle.run();
            } else {
                channel.eventLoop().execute(toggle);
            }
        }

        void done() {
            Runnable next;
            synchronized (this) {
                next = pending.poll();
                if (next == null) {
                    running = false;
                }
            }
            if (next == null) {
                reading(true);
            } else {
                next.run();
            }
        }
    }
}
