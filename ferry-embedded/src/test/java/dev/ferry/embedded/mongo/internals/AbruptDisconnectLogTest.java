package dev.ferry.embedded.mongo.internals;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import de.bwaldvogel.mongo.wire.MongoExceptionHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;

class AbruptDisconnectLogTest {

    private final List<String> lines = new ArrayList<>();
    private final List<Throwable> reachedTheServersHandler = new ArrayList<>();
    private final EmbeddedChannel channel = new EmbeddedChannel(new MongoExceptionHandler() {
        @Override
        public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
            reachedTheServersHandler.add(cause);
        }
    });

    @Test
    void aResetConnectionIsOneLineAndClosed() {
        new AbruptDisconnectLog(lines::add).installIn(channel);

        channel.pipeline().fireExceptionCaught(new SocketException("Connection reset"));

        assertThat(lines).containsExactly("client embedded disconnected abruptly: Connection reset");
        assertThat(reachedTheServersHandler).isEmpty();
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void otherErrorsStillReachTheServersHandler() {
        new AbruptDisconnectLog(lines::add).installIn(channel);
        IllegalStateException bug = new IllegalStateException("a bug");

        channel.pipeline().fireExceptionCaught(bug);

        assertThat(lines).isEmpty();
        assertThat(reachedTheServersHandler).containsExactly(bug);
    }

    @Test
    void isInstalledOnceBeforeTheServersHandler() {
        AbruptDisconnectLog log = new AbruptDisconnectLog(lines::add);
        log.installIn(channel);
        log.installIn(channel);

        assertThat(channel.pipeline().names()).startsWith(AbruptDisconnectLog.NAME)
            .filteredOn(AbruptDisconnectLog.NAME::equals).hasSize(1);
    }
}
