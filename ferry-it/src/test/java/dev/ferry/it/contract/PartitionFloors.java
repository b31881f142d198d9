package dev.ferry.it.contract;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.ConsumerInfo;

import dev.ferry.nats.NatsSettings;

/**
 * What the JetStream server says about a lease group's partitions (NATS's {@link GroupOffsets}): how far each is
 * acknowledged, by the protocol's floor (contracts/partition-leases.md), and where each ends.
 */
final class PartitionFloors {

    private PartitionFloors() {
    }

    /**
     * Per partition of {@code type}, the stream sequence the group's consumers are done up to: the larger of a
     * consumer's ack floor and its start - 1, over every epoch's consumer still on the server.
     */
    static Map<Integer, Long> done(JetStreamManagement management, NatsSettings settings, String group, String type)
        throws IOException, JetStreamApiException {
        Map<Integer, Long> floors = new HashMap<>();
        String subjectPrefix = settings.stream() + "." + type + ".";
        String namePrefix = (group + "_" + type + "_").replaceAll("[^A-Za-z0-9_-]", "_");
        for (ConsumerInfo consumer : management.getConsumers(settings.stream())) {
            String subject = consumer.getConsumerConfiguration().getFilterSubject();
            if (!consumer.getName().startsWith(namePrefix) || subject == null || !subject.startsWith(subjectPrefix)) {
                continue;
            }
            Long start = consumer.getConsumerConfiguration().getStartSequence();
            long floor = Math.max(consumer.getAckFloor().getStreamSequence(), start == null || start == 0 ? 0 : start - 1);
            floors.merge(Integer.parseInt(subject.substring(subjectPrefix.length())), floor, Math::max);
        }
        return floors;
    }

    /** Per partition of {@code type} that holds messages, the stream sequence of its last one. */
    static Map<Integer, Long> ends(JetStreamManagement management, NatsSettings settings, String type)
        throws IOException {
        Map<Integer, Long> last = new HashMap<>();
        for (int partition = 0; partition < settings.partitions(); partition++) {
            try {
                last.put(partition, management.getLastMessage(settings.stream(),
                    settings.subjects().subject(type, partition)).getSeq());
            } catch (JetStreamApiException none) {
                // no message in this partition
            }
        }
        return last;
    }
}
