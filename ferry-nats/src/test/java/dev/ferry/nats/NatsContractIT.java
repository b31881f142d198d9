package dev.ferry.nats;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PublishOptions;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;

import dev.ferry.embedded.nats.NatsServerProcess;

/**
 * The JetStream behaviour (server 2.9.10, jnats 2.26.2) Ferry's NATS transport rests on, pinned against the real
 * server: if an upgrade changes any of it, this fails before a guarantee silently does.
 */
@Timeout(120)
class NatsContractIT {

    private static NatsServerProcess server;
    private Connection connection;
    private JetStream js;
    private JetStreamManagement jsm;
    private String stream;

    @BeforeAll
    static void startServer() {
        server = NatsServerProcess.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @BeforeEach
    void connect() throws Exception {
        connection = NatsConnections.open(NatsSettings.local(server.url(), "unused"), "contract");
        js = connection.jetStream();
        jsm = connection.jetStreamManagement();
        stream = "c" + System.nanoTime();
        jsm.addStream(StreamConfiguration.builder().name(stream).subjects(stream + ".>").storageType(StorageType.File)
            .duplicateWindow(Duration.ofMinutes(2)).build());
    }

    @AfterEach
    void close() throws Exception {
        connection.close();
    }

    @Test
    void aMessageIdSeenWithinTheDedupeWindowIsAcknowledgedAsADuplicateAndNotStored() throws Exception {
        PublishAck first = publish("a.0", "e-1", null);
        PublishAck again = publish("a.0", "e-1", null);
        assertThat(first.isDuplicate()).isFalse();
        assertThat(again.isDuplicate()).isTrue();
        assertThat(again.getSeqno()).isEqualTo(first.getSeqno());
        assertThat(jsm.getStreamInfo(stream).getStreamState().getMsgCount()).isEqualTo(1);
    }

    @Test
    void aPublishExpectingALastMessageIdTheStreamDoesNotEndWithIsRefused() throws Exception {
        publish("a.0", "e-1", null);
        // e-2 went missing (a failed publish); e-3 names it as its predecessor and must not be stored before it
        assertThatThrownBy(() -> publish("a.1", "e-3", "e-2")).isInstanceOf(JetStreamApiException.class)
            .hasMessageContaining("10070");
        publish("a.0", "e-2", "e-1");
        publish("a.1", "e-3", "e-2");
        assertThat(jsm.getStreamInfo(stream).getStreamState().getMsgCount()).isEqualTo(3);
    }

    @Test
    void theDedupeCheckComesBeforeTheExpectedLastMessageId() throws Exception {
        // A new relay term re-publishes from its checkpoint: those are duplicates, whatever they expect
        publish("a.0", "e-1", null);
        publish("a.0", "e-2", "e-1");
        publish("a.0", "e-3", "e-2");
        assertThat(publish("a.0", "e-2", "e-1").isDuplicate()).isTrue();
        assertThat(publish("a.0", "e-3", "e-2").isDuplicate()).isTrue();
        assertThat(publish("a.0", "e-4", "e-3").isDuplicate()).isFalse();
    }

    @Test
    void aPublishExpectingAnotherLastSubjectSequenceIsRefused() throws Exception {
        PublishAck first = js.publish(stream + ".a.0", "1".getBytes(UTF_8));
        js.publish(stream + ".a.1", "x".getBytes(UTF_8));
        PublishOptions stale = PublishOptions.builder().expectedLastSubjectSequence(first.getSeqno() - 1).build();
        assertThatThrownBy(() -> js.publish(stream + ".a.0", "2".getBytes(UTF_8), stale))
            .isInstanceOf(JetStreamApiException.class).hasMessageContaining("10071");
        PublishOptions right = PublishOptions.builder().expectedLastSubjectSequence(first.getSeqno()).build();
        assertThat(js.publish(stream + ".a.0", "2".getBytes(UTF_8), right).getSeqno()).isEqualTo(3);
    }

    @Test
    void ackingOneMessageWithAckAllMovesTheAckFloorAndARecreatedConsumerStartsAfterIt() throws Exception {
        for (int i = 1; i <= 10; i++) {
            js.publish(stream + ".a.0", ("m" + i).getBytes(UTF_8));
            js.publish(stream + ".a.1", ("other" + i).getBytes(UTF_8)); // interleaved: sequences are stream-wide
        }
        String durable = "a0-e1";
        jsm.addOrUpdateConsumer(stream, consumer(durable, DeliverPolicy.All, 0));
        List<Message> got = fetch(durable, 10);
        assertThat(got).extracting(m -> new String(m.getData(), UTF_8)).containsExactly("m1", "m2", "m3", "m4", "m5",
            "m6", "m7", "m8", "m9", "m10");
        got.get(3).ackSync(Duration.ofSeconds(5)); // m4: everything up to it is done
        long floor = jsm.getConsumerInfo(stream, durable).getAckFloor().getStreamSequence();
        assertThat(floor).isEqualTo(got.get(3).metaData().streamSequence());

        // A new owner: a consumer of its own starting right after the floor; the old one goes
        jsm.addOrUpdateConsumer(stream, consumer("a0-e2", DeliverPolicy.ByStartSequence, floor + 1));
        jsm.deleteConsumer(stream, durable);
        assertThat(fetch("a0-e2", 10)).extracting(m -> new String(m.getData(), UTF_8))
            .containsExactly("m5", "m6", "m7", "m8", "m9", "m10");
        // Until it acknowledges something, a consumer reports an ack floor of 0, not its start sequence - 1: the
        // floor a next owner starts from is the larger of the two
        var recreated = jsm.getConsumerInfo(stream, "a0-e2");
        assertThat(recreated.getAckFloor().getStreamSequence()).isZero();
        assertThat(recreated.getConsumerConfiguration().getStartSequence()).isEqualTo(floor + 1);
    }

    @Test
    void aServerRestartedOnTheSameStoreKeepsTheStreamItsMessagesAndItsLastMessageId() throws Exception {
        publish("a.0", "e-1", null);
        publish("a.0", "e-2", "e-1");
        jsm.addOrUpdateConsumer(stream, consumer("a0-e1", DeliverPolicy.All, 0));
        connection.close();
        server.stop();
        server.restart();
        connect_again();
        assertThat(jsm.getStreamInfo(stream).getStreamState().getMsgCount()).isEqualTo(2);
        assertThat(jsm.getConsumerInfo(stream, "a0-e1")).isNotNull();
        assertThat(publish("a.0", "e-2", "e-1").isDuplicate()).isTrue();
        assertThatThrownBy(() -> publish("a.0", "e-4", "e-3")).isInstanceOf(JetStreamApiException.class);
        assertThat(publish("a.0", "e-3", "e-2").isDuplicate()).isFalse();
    }

    private void connect_again() throws Exception {
        connection = NatsConnections.open(NatsSettings.local(server.url(), "unused"), "contract");
        js = connection.jetStream();
        jsm = connection.jetStreamManagement();
    }

    private PublishAck publish(String subject, String id, String expectedLastId) throws Exception {
        PublishOptions.Builder options = PublishOptions.builder().messageId(id);
        if (expectedLastId != null) {
            options.expectedLastMsgId(expectedLastId);
        }
        return js.publish(stream + "." + subject, id.getBytes(UTF_8), options.build());
    }

    private ConsumerConfiguration consumer(String durable, DeliverPolicy policy, long startSequence) {
        ConsumerConfiguration.Builder builder = ConsumerConfiguration.builder().durable(durable)
            .filterSubject(stream + ".a.0").ackPolicy(AckPolicy.All).deliverPolicy(policy).ackWait(Duration.ofMinutes(5));
        if (policy == DeliverPolicy.ByStartSequence) {
            builder.startSequence(startSequence);
        }
        return builder.build();
    }

    private List<Message> fetch(String durable, int count) throws Exception {
        JetStreamSubscription subscription = js.subscribe(null, PullSubscribeOptions.bind(stream, durable));
        List<Message> messages = new ArrayList<>();
        while (messages.size() < count) {
            List<Message> batch = subscription.fetch(count - messages.size(), Duration.ofSeconds(2));
            if (batch.isEmpty()) {
                break;
            }
            messages.addAll(batch);
        }
        subscription.unsubscribe();
        return messages;
    }
}
