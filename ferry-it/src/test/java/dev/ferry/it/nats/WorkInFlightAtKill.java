package dev.ferry.it.nats;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.bson.Document;

import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.MessageInfo;

import dev.ferry.core.event.Event;
import dev.ferry.core.wire.FerryHeaders;
import dev.ferry.it.support.Pipeline;
import dev.ferry.mongodb.readmodel.MongoReadModelWriter;
import dev.ferry.nats.NatsSettings;

/**
 * Whether a killed projector had work in flight, seen from outside it: its read-model writes that landed (the read
 * model's versions in MongoDB) against what the JetStream server holds as acknowledged (the ack floor of its
 * partitions' consumers). Captured right after the kill, in this order: the read model, the consumers, the partition
 * leases. A partition whose lease (in MongoDB) still names the killed instance after the other two reads had no other
 * owner while they were taken, so every write the read model shows for it beyond the ack floor is the killed
 * instance's: applied, and not acknowledged on the server. A new owner restarts at that floor and meets them again.
 */
final class WorkInFlightAtKill {

    /** One partition of the killed instance: the server's floor and last delivery, what of it the read model held. */
    record Partition(String name, long epoch, String consumer, long ackFloor, long delivered, int deliveredBeyondFloor,
                     int appliedBeyondFloor, String firstApplied) {
    }

    private final String instance;
    private final Map<String, Long> versions;
    private final List<ConsumerInfo> consumers;
    private final Map<String, Long> leases;

    private WorkInFlightAtKill(String instance, Map<String, Long> versions, List<ConsumerInfo> consumers,
                               Map<String, Long> leases) {
        this.instance = instance;
        this.versions = versions;
        this.consumers = consumers;
        this.leases = leases;
    }

    /** Call right after the kill: three reads, a few milliseconds, well inside the partition lease TTL (2 s). */
    static WorkInFlightAtKill capture(MongoDatabase database, String readModel, Connection nats, NatsSettings settings,
                                      String instance) throws IOException, JetStreamApiException {
        Map<String, Long> versions = new HashMap<>();
        for (Document document : database.getCollection(readModel).find()) {
            versions.put(document.getString("_id"), ((Number) document.get(MongoReadModelWriter.VERSION)).longValue());
        }
        List<ConsumerInfo> consumers = nats.jetStreamManagement().getConsumers(settings.stream());
        Map<String, Long> leases = new HashMap<>();
        String prefix = readModel + ".partition.";
        for (Document lease : database.getCollection(Pipeline.LEASES)
            .find(Filters.regex("_id", "^" + Pattern.quote(prefix)))) {
            String partition = lease.getString("_id").substring(prefix.length());
            if (instance.equals(lease.getString("owner"))) {
                leases.put(partition, ((Number) lease.get("epoch")).longValue());
            }
        }
        return new WorkInFlightAtKill(instance, versions, consumers, leases);
    }

    /**
     * The killed instance's partitions, each with the events between the server's ack floor and its last delivery
     * that the read model already held. {@code events} maps event id to event (the event store, read after the kill).
     */
    List<Partition> partitions(Connection nats, NatsSettings settings, Map<String, Event> events)
        throws IOException, JetStreamApiException {
        JetStreamManagement management = nats.jetStreamManagement();
        List<Partition> partitions = new ArrayList<>();
        for (Map.Entry<String, Long> lease : leases.entrySet()) {
            int dash = lease.getKey().lastIndexOf('-');
            String subject = settings.subjects().subject(lease.getKey().substring(0, dash),
                Integer.parseInt(lease.getKey().substring(dash + 1)));
            ConsumerInfo consumer = consumers.stream()
                .filter(c -> subject.equals(c.getConsumerConfiguration().getFilterSubject())
                    && c.getName().endsWith("_e" + lease.getValue()))
                .findFirst().orElse(null);
            if (consumer == null) {
                continue; // leased, not yet consuming: nothing in flight there
            }
            Long start = consumer.getConsumerConfiguration().getStartSequence();
            long floor = Math.max(consumer.getAckFloor().getStreamSequence(), start == null ? 0 : start - 1);
            long delivered = consumer.getDelivered().getStreamSequence();
            int deliveredBeyond = 0;
            int applied = 0;
            String first = null;
            for (long sequence = floor + 1; sequence <= delivered; ) {
                MessageInfo message;
                try {
                    message = management.getNextMessage(settings.stream(), sequence, subject);
                } catch (JetStreamApiException noMore) {
                    break;
                }
                if (message.getSeq() > delivered) {
                    break;
                }
                deliveredBeyond++;
                String id = message.getHeaders() == null ? null : message.getHeaders().getFirst(FerryHeaders.CE_ID);
                Event event = events.get(id);
                if (event == null) {
                    throw new AssertionError("message " + message.getSeq() + " on " + subject + " carries event id "
                        + id + ", which the event store does not hold");
                }
                if (versions.getOrDefault(event.aggregateId(), 0L) >= event.version()) {
                    applied++;
                    first = first == null ? event.aggregateId() + " v" + event.version() + " (stream sequence "
                        + message.getSeq() + ")" : first;
                }
                sequence = message.getSeq() + 1;
            }
            partitions.add(new Partition(lease.getKey(), lease.getValue(), consumer.getName(), floor, delivered,
                deliveredBeyond, applied, first));
        }
        return partitions;
    }

    String instance() {
        return instance;
    }
}
