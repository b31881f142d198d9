package dev.ferry.embedded.mongo.internals;

import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import de.bwaldvogel.mongo.wire.MongoDatabaseHandler;
import de.bwaldvogel.mongo.wire.MongoExceptionHandler;
import de.bwaldvogel.mongo.wire.MongoWireMessageEncoder;
import de.bwaldvogel.mongo.wire.MongoWireProtocolHandler;
import de.bwaldvogel.mongo.wire.MongoWireReplyEncoder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The embedded server's network side: mongo-java-server's wire codec on Netty, with Ferry's {@link CommandDispatcher}
 * in front of the stock command handler, so that commands run on their lanes ({@link CommandLanes}) rather than on
 * the connection's I/O thread, and a change-stream getMore can wait without holding any thread. The stock
 * {@code MongoServer} runs every command on its I/O threads and offers no place to put that.
 */
public final class WireServer implements AutoCloseable {

    private final BoundedOplogBackend backend;
    private final CommandLanes lanes;
    private final WaitingGetMores waiting;
    private final EventLoopGroup acceptor = new MultiThreadIoEventLoopGroup(1,
        new DefaultThreadFactory("embedded-mongo-accept", true), NioIoHandler.newFactory());
    /** Reads and writes the sockets only; one thread is plenty, as commands run on the lanes. */
    private final EventLoopGroup io = new MultiThreadIoEventLoopGroup(1,
        new DefaultThreadFactory("embedded-mongo-io", true), NioIoHandler.newFactory());
    private final ChannelGroup clients = new DefaultChannelGroup("embedded-mongo-clients", io.next());
    private final Channel listening;

    /**
     * Starts listening.
     *
     * @param smallCollections names of the collections whose commands never wait behind other collections' commands
     */
    public WireServer(InetSocketAddress address, int oplogCapacity, Set<String> smallCollections) {
        this.lanes = new CommandLanes(smallCollections);
        this.backend = new BoundedOplogBackend(oplogCapacity, lanes::read);
        backend.enableOplog();
        this.waiting = new WaitingGetMores(lanes);
        backend.oplog().whenAppended(waiting::oplogGrew);
        CommandDispatcher dispatcher = new CommandDispatcher(backend, lanes, waiting);
        AbruptDisconnectLog abruptDisconnects = new AbruptDisconnectLog();
        try {
            this.listening = new ServerBootstrap()
                .group(acceptor, io)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 100)
                .childOption(ChannelOption.TCP_NODELAY, Boolean.TRUE)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new MongoWireReplyEncoder(), new MongoWireMessageEncoder(),
                            new MongoWireProtocolHandler(), dispatcher, new MongoDatabaseHandler(backend, clients),
                            abruptDisconnects, new MongoExceptionHandler());
                        UnacknowledgedRequests.installIn(channel);
                    }
                })
                .bind(address).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) listening.localAddress();
    }

    /** Where a driver reaches this server. */
    public String connectionString() {
        InetSocketAddress address = address();
        return "mongodb://" + address.getHostString() + ":" + address.getPort();
    }

    public BoundedOplogBackend backend() {
        return backend;
    }

    /** How many change-stream getMores wait for the oplog to grow now. */
    int waitingGetMores() {
        return waiting.count();
    }

    CommandLanes lanes() {
        return lanes;
    }

    @Override
    public void close() {
        if (listening != null) {
            listening.close().syncUninterruptibly();
        }
        clients.close().syncUninterruptibly();
        acceptor.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        io.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        waiting.close();
        lanes.close();
        backend.close();
    }
}
