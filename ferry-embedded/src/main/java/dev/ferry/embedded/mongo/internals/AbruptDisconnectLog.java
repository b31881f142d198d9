package dev.ferry.embedded.mongo.internals;

import java.io.IOException;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import de.bwaldvogel.mongo.wire.MongoExceptionHandler;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;

/**
 * Reports a client that went away without closing its connection (a killed process: "Connection reset") as one line.
 * mongo-java-server's last handler ({@link MongoExceptionHandler}) logs every exception of a connection as an ERROR
 * with a stack trace, and tests that kill processes would print one per connection. Every other exception goes on to
 * that handler as before.
 */
@ChannelHandler.Sharable
public final class AbruptDisconnectLog extends ChannelInboundHandlerAdapter {

    static final String NAME = "ferry-abrupt-disconnect-log";

    private static final Logger log = LoggerFactory.getLogger(AbruptDisconnectLog.class);

    private final Consumer<String> report;

    public AbruptDisconnectLog() {
        this(log::warn);
    }

    /** @param report where the one line goes */
    AbruptDisconnectLog(Consumer<String> report) {
        this.report = report;
    }

    /**
     * Puts this before the server's exception handler of {@code channel}, once. The server builds each connection's
     * pipeline itself, so this is done when the connection's first command arrives (every driver starts with a
     * handshake); a pipeline without that handler is left as it is.
     */
    public void installIn(Channel channel) {
        ChannelPipeline pipeline = channel.pipeline();
        if (pipeline.get(NAME) != null) {
            return;
        }
        ChannelHandlerContext serverHandler = pipeline.context(MongoExceptionHandler.class);
        if (serverHandler != null) {
            pipeline.addBefore(serverHandler.name(), NAME, this);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
        // Reading or writing the socket failed: the peer is gone. A bad message or a server bug is no IOException.
        if (cause instanceof IOException) {
            report.accept("client " + context.channel().remoteAddress() + " disconnected abruptly: "
                + cause.getMessage());
            context.close();
        } else {
            context.fireExceptionCaught(cause);
        }
    }
}
