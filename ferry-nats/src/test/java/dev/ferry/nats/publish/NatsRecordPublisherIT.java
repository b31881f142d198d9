package dev.ferry.nats.publish;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.nats.client.Connection;
import io.nats.client.api.StreamConfiguration;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.EntityOperation;
import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.event.Tombstone;
import dev.ferry.core.event.VersionRule;
import dev.ferry.core.partition.KeyPartitioner;
import dev.ferry.core.relay.spi.RecordPublisher;
import dev.ferry.core.relay.spi.RecordPublisher.Provenance;
import dev.ferry.core.relay.spi.RecordRefused;
import dev.ferry.core.wire.EntityJson;
import dev.ferry.core.wire.EventJson;
import dev.ferry.core.wire.FerryHeaders;
import dev.ferry.embedded.nats.NatsServerProcess;
import dev.ferry.nats.NatsConnections;
import dev.ferry.nats.NatsSettings;
import dev.ferry.nats.StreamContents;
import dev.ferry.nats.StreamContents.StoredMessage;

/** The NATS wire: subjects and partitions (Kafka's), value and headers (Kafka's), and order when a publish fails. */
@Timeout(120)
class NatsRecordPublisherIT {

    private static NatsServerProcess server;
    private NatsSettings settings;
    private Connection reader;

    @BeforeAll
    static void startServer() {
        server = NatsServerProcess.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @BeforeEach
    void settings() {
        settings = NatsSettings.local(server.url(), "p" + System.nanoTime());
        reader = NatsConnections.open(settings, "reader");
    }

    @AfterEach
    void closeReader() throws InterruptedException {
        reader.close();
    }

    @Test
    void eachEventGoesToItsTypeAndKafkasPartitionWithTheJsonValueAndKafkasHeaders() throws Exception {
        RecordPublisher publisher = new NatsPublishers(settings).get();
        List<Event> events = List.of(event("patient", "p-1", 1, VersionRule.CONTIGUOUS),
            event("patient", "p-2", 1, VersionRule.CONTIGUOUS), event("invoice", "patient-42", 7, VersionRule.INCREASING));
        for (int i = 0; i < events.size(); i++) {
            publisher.publish(events.get(i), new Provenance("relay-1", 3, i + 1)).get(10, TimeUnit.SECONDS);
        }
        publisher.close();

        List<StoredMessage> stored = StreamContents.read(reader, settings.stream());
        // Kafka 4.4's client puts p-1 and p-2 in partition 4 and patient-42 in 3 of 12 (KeyPartitionerTest)
        assertThat(stored).extracting(StoredMessage::subject).containsExactly(settings.stream() + ".patient.4",
            settings.stream() + ".patient.4", settings.stream() + ".invoice.3");
        for (int i = 0; i < events.size(); i++) {
            Event event = events.get(i);
            StoredMessage message = stored.get(i);
            assertThat(message.subject()).endsWith("." + KeyPartitioner.partitionOf(event.aggregateId(), 12));
            assertThat(new String(message.value(), UTF_8)).isEqualTo(EventJson.encode(event));
            assertThat(message.header("Nats-Msg-Id")).isEqualTo(event.eventId());
            assertThat(message.header(FerryHeaders.CE_SPECVERSION)).isEqualTo("1.0");
            assertThat(message.header(FerryHeaders.CE_ID)).isEqualTo(event.eventId());
            assertThat(message.header(FerryHeaders.CE_TYPE)).isEqualTo(event.eventType());
            assertThat(message.header(FerryHeaders.CE_SOURCE)).isEqualTo("ferry/" + event.aggregateType());
            assertThat(message.header(FerryHeaders.CE_SUBJECT)).isEqualTo(event.aggregateId());
            assertThat(message.header(FerryHeaders.CE_TIME)).isEqualTo(event.timestamp().toString());
            assertThat(message.header(FerryHeaders.CONTENT_TYPE)).isEqualTo("application/json");
            assertThat(message.header(FerryHeaders.CE_VERSION_RULE)).isEqualTo(event.versionRule().wireName());
            assertThat(message.header(FerryHeaders.FERRY_INSTANCE)).isEqualTo("relay-1");
            assertThat(message.header(FerryHeaders.FERRY_EPOCH)).isEqualTo("3");
            assertThat(message.header(FerryHeaders.FERRY_SEQUENCE)).isEqualTo(String.valueOf(i + 1));
        }
    }

    @Test
    void anEntitysDeleteAndItsTombstoneGoToTheKeysSubjectWithTheEntityJsonAndHeaders() throws Exception {
        RecordPublisher publisher = new NatsPublishers(settings).get();
        EntityChange delete = new EntityChange("patient", "p-1", EntityOperation.DELETE,
            EntityVersion.ofClusterTime(1764670000L, 5, 1), null, null, "clinic", "patients", 1764670000L, 5);
        publisher.publish(delete, new Provenance("relay-1", 3, 1)).get(10, TimeUnit.SECONDS);
        publisher.publish(new Tombstone(delete), new Provenance("relay-1", 3, 2)).get(10, TimeUnit.SECONDS);
        publisher.close();

        List<StoredMessage> stored = StreamContents.read(reader, settings.stream());
        assertThat(stored).extracting(StoredMessage::subject).containsOnly(settings.stream() + ".patient."
            + KeyPartitioner.partitionOf("p-1", 12));
        assertThat(stored).hasSize(2);
        assertThat(new String(stored.get(0).value(), UTF_8)).isEqualTo(EntityJson.encode(delete));
        assertThat(stored.get(0).header(FerryHeaders.CE_TYPE)).isEqualTo("patient.delete");
        assertThat(stored.get(0).header(FerryHeaders.CE_VERSION)).isEqualTo(delete.version().wire());
        assertThat(stored.get(0).header("Nats-Msg-Id")).isEqualTo(delete.recordId());
        assertThat(stored.get(1).value()).isNullOrEmpty();
        assertThat(stored.get(1).header(FerryHeaders.FERRY_TOMBSTONE)).isEqualTo("true");
        assertThat(stored.get(1).header(FerryHeaders.CE_SUBJECT)).isEqualTo("p-1");
        assertThat(stored.get(1).header(FerryHeaders.CE_VERSION)).isEqualTo(delete.version().wire());
    }

    @Test
    void aPublishFailingMidwayLetsNothingAfterItBeStoredAndTheNextTermCompletesTheSequenceInOrder() throws Exception {
        new NatsPublishers(settings).ensureStream();
        // The server refuses values over 2 KB: the fifth event fails while the ones after it are already on the wire
        StreamConfiguration limited = StreamConfiguration.builder(StreamProvisioner.configuration(settings))
            .maxMsgSize(2048).build();
        reader.jetStreamManagement().updateStream(limited);
        List<Event> events = new ArrayList<>();
        for (int v = 1; v <= 40; v++) {
            events.add(v == 5 ? event("patient", "p-1", v, "{\"big\":\"" + "x".repeat(4000) + "\"}")
                : event("patient", "p-1", v, "{}"));
        }
        RecordPublisher first = new NatsPublishers(settings).get();
        List<CompletableFuture<Void>> acks = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            acks.add(first.publish(events.get(i), new Provenance("relay-1", 1, i + 1)));
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).exceptionally(e -> null).get(30, TimeUnit.SECONDS);
        first.abort();
        assertThat(acks.subList(0, 4)).allMatch(f -> !f.isCompletedExceptionally());
        assertThat(acks.subList(4, 40)).allMatch(CompletableFuture::isCompletedExceptionally);
        assertThat(versions()).containsExactly(1L, 2L, 3L, 4L);

        // The cause is gone; the next term re-publishes from the checkpoint (after 2), duplicates dropped
        reader.jetStreamManagement().updateStream(StreamProvisioner.configuration(settings));
        RecordPublisher next = new NatsPublishers(settings).get();
        List<CompletableFuture<Void>> again = new ArrayList<>();
        for (int i = 2; i < events.size(); i++) {
            again.add(next.publish(events.get(i), new Provenance("relay-2", 2, i + 1)));
        }
        CompletableFuture.allOf(again.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        next.close();
        assertThat(versions()).containsExactlyElementsOf(events.stream().map(Event::version).toList());
    }

    @Test
    void aStreamMadeWithAnotherPartitionCountIsRefused() {
        new NatsPublishers(settings).ensureStream();
        assertThatThrownBy(() -> new NatsPublishers(settings.withPartitions(6)).get())
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("has 12 partitions per type, the configuration says 6");
    }

    private List<Long> versions() {
        return StreamContents.read(reader, settings.stream()).stream()
            .map(m -> Long.parseLong(new String(m.value(), UTF_8).replaceAll(".*\"version\":(\\d+).*", "$1"))).toList();
    }

    /**
     * What NATS cannot carry beyond the rules every transport shares ({@code NatsTransportContractIT}) is refused while
     * preparing, before anything is sent, naming the field and the rule: a type with a '.' (the contract allows it; a
     * subject token does not), an id that is not printable ASCII (NATS headers). A dead letter's reason quoting such a
     * document is still carried.
     */
    @Test
    void whatNatsCannotCarryIsRefusedNamingTheFieldAndTheRule() throws Exception {
        RecordPublisher publisher = new NatsPublishers(settings).get();
        try {
            assertThatThrownBy(() -> publisher.prepare(event("a.b", "k-1", 1, "{}")))
                .isInstanceOf(RecordRefused.class).hasMessageContaining("aggregateType").hasMessageContaining("'.'");
            assertThatThrownBy(() -> publisher.prepare(event("patient", "Jos\u00e9\n", 1, "{}")))
                .isInstanceOf(RecordRefused.class).hasMessageContaining("cannot be carried by NATS");
            publisher.publishDeadLetter(new dev.ferry.core.relay.spi.Change.Refused(
                new dev.ferry.core.relay.spi.ResumeToken("{\"_data\":\"02\"}"), "{}", "aggregateId 'Jos\u00e9\n' refused"),
                new Provenance("relay-1", 1, 1)).get(10, TimeUnit.SECONDS);
        } finally {
            publisher.close();
        }
    }

    private static Event event(String type, String id, long version, VersionRule rule) {
        return new Event("e-" + type + "-" + id + "-" + version, type, id, version, type + "Changed",
            Instant.parse("2026-11-23T16:00:00.123Z"), "{\"n\":" + version + "}", new EventMetadata("c-1", null), rule);
    }

    private static Event event(String type, String id, long version, String payload) {
        return new Event("e-" + id + "-" + version, type, id, version, "Changed", Instant.now(), payload,
            new EventMetadata(null, null));
    }
}
