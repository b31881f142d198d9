package dev.ferry.embedded.mongo.internals;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;
import de.bwaldvogel.mongo.exception.MongoServerException;
import de.bwaldvogel.mongo.wire.message.MessageHeader;
import de.bwaldvogel.mongo.wire.message.MongoMessage;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Takes each command (OP_MSG) off the connection's I/O thread and runs it on its lane ({@link CommandRoute}), then
 * writes the reply. A change-stream getMore that finds nothing waits ({@link WaitingGetMores}) up to its
 * {@code maxTimeMS}, as on a real server, instead of being answered empty at once. Legacy OP_QUERY messages (the
 * drivers' first handshake) go on to the stock handler.
 */
@ChannelHandler.Sharable
final class CommandDispatcher extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(CommandDispatcher.class);
    /** What a real server waits on an awaitData cursor's getMore without {@code maxTimeMS}. */
    private static final long DEFAULT_AWAIT_MILLIS = 1_000;

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
        Document query = command.getDocument();
        String name = query.keySet().iterator().next();
        if (name.equalsIgnoreCase("getMore") && query.get(name) instanceof Number cursorId
            && backend.isChangeStream(cursorId.longValue())) {
            long awaitMillis = query.get("maxTimeMS") instanceof Number max && max.longValue() > 0
                ? max.longValue() : DEFAULT_AWAIT_MILLIS;
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(awaitMillis);
            lanes.execute(CommandRoute.MAIN, () -> waiting.tryOrWait(last -> answer(command, last), deadline));
            return;
        }
        lanes.execute(CommandRoute.of(name, query, lanes.smallCollections()), () -> answer(command, true));
    }

    /**
     * Runs the command and writes its reply, unless it is a getMore that found nothing and {@code last} is false.
     *
     * @return whether the client was answered (or is gone)
     */
    private boolean answer(MongoMessage command, boolean last) {
        Channel channel = command.getChannel();
        if (!channel.isActive()) {
            return true;
        }
        Document reply;
        try {
            reply = backend.handleMessage(command);
        } catch (MongoServerException e) {
            log.debug("command failed: {}", command.getDocument(), e);
            reply = error(e);
        } catch (RuntimeException e) {
            log.error("command failed unexpectedly: {}", command.getDocument(), e);
            reply = error(new MongoServerException("Unknown error: " + e.getMessage(), e));
        }
        if (!last && isEmptyBatch(reply)) {
            return false;
        }
        MessageHeader header = new MessageHeader(replyIds.incrementAndGet(), command.getHeader().getRequestID());
        channel.writeAndFlush(new MongoMessage(channel, header, reply));
        return true;
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
}
