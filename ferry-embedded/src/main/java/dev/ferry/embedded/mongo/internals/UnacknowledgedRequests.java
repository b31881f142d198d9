package dev.ferry.embedded.mongo.internals;

import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.Set;

import de.bwaldvogel.mongo.wire.MongoWireProtocolHandler;
import de.bwaldvogel.mongo.wire.message.MongoMessage;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;

/**
 * Requests a client sends with OP_MSG's {@code moreToCome} flag: a write with {@code w: 0}, and the Node.js driver's
 * {@code endSessions} when it closes. The client reads no reply to them. mongo-java-server refuses the flag ("flags=2
 * not yet supported") and drops the connection, and the write with it; here the flag is taken off before the server
 * decodes the request, which then runs as any other, and its reply is not sent.
 */
final class UnacknowledgedRequests {

    static final String REQUESTS = "ferry-unacknowledged-requests";
    static final String REPLIES = "ferry-unacknowledged-replies";

    private static final int OP_MSG = 2013;
    private static final int MORE_TO_COME = 1 << 1;
    /** Offsets in a message: length, requestID, responseTo, opCode, then OP_MSG's flagBits. */
    private static final int REQUEST_ID = 4;
    private static final int RESPONSE_TO = 8;
    private static final int OP_CODE = 12;
    private static final int FLAG_BITS = 16;

    /** Request ids whose replies are not sent; read and written on the connection's one event-loop thread. */
    private final Set<Integer> unanswered = new HashSet<>();

    private UnacknowledgedRequests() {
    }

    /**
     * Puts the handlers into {@code channel}'s pipeline, once: the request side before the server's decoder, the
     * reply side where replies enter the pipeline ({@link WireServer} does so as it builds each connection's pipeline).
     */
    static void installIn(Channel channel) {
        ChannelPipeline pipeline = channel.pipeline();
        ChannelHandlerContext decoder = pipeline.context(MongoWireProtocolHandler.class);
        if (pipeline.get(REQUESTS) != null || decoder == null) {
            return;
        }
        UnacknowledgedRequests requests = new UnacknowledgedRequests();
        pipeline.addBefore(decoder.name(), REQUESTS, requests.new Requests());
        pipeline.addLast(REPLIES, requests.new Replies());
    }

    /** Cuts the byte stream into messages and takes {@code moreToCome} off each OP_MSG that carries it. */
    private final class Requests extends LengthFieldBasedFrameDecoder {

        Requests() {
            // no length limit of its own: the server's decoder, next, refuses a message too large as before
            super(ByteOrder.LITTLE_ENDIAN, Integer.MAX_VALUE, 0, 4, -4, 0, true);
        }

        @Override
        protected Object decode(ChannelHandlerContext context, ByteBuf in) throws Exception {
            ByteBuf message = (ByteBuf) super.decode(context, in);
            if (message != null && message.readableBytes() >= FLAG_BITS + 4) {
                int start = message.readerIndex();
                int flagBits = message.getIntLE(start + FLAG_BITS);
                if (message.getIntLE(start + OP_CODE) == OP_MSG && (flagBits & MORE_TO_COME) != 0) {
                    message.setIntLE(start + FLAG_BITS, flagBits & ~MORE_TO_COME);
                    unanswered.add(message.getIntLE(start + REQUEST_ID));
                }
            }
            return message;
        }
    }

    /** Drops the replies to the requests that carried the flag. */
    private final class Replies extends ChannelOutboundHandlerAdapter {

        @Override
        public void write(ChannelHandlerContext context, Object message, ChannelPromise promise) throws Exception {
            if (message instanceof MongoMessage reply && unanswered.remove(reply.getHeader().getResponseTo())) {
                promise.setSuccess();
                return;
            }
            // a reply CommandDispatcher encoded itself: responseTo is the third field of the header
            if (message instanceof ByteBuf encoded && encoded.readableBytes() >= RESPONSE_TO + 4
                && unanswered.remove(encoded.getIntLE(encoded.readerIndex() + RESPONSE_TO))) {
                encoded.release();
                promise.setSuccess();
                return;
            }
            super.write(context, message, promise);
        }
    }
}
