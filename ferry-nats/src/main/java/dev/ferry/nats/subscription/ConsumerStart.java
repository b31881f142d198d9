package dev.ferry.nats.subscription;

import java.util.List;
import java.util.OptionalLong;

import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;

import dev.ferry.core.subscription.PartitionId;
import dev.ferry.nats.NatsSettings;

/**
 * Where a partition's new owner starts reading (partition-leases.md, "Reading an owned partition"), decided from the
 * partition's consumers as listed: pure, so that the conformance vectors check what {@link PartitionConsumer#start}
 * sends to the server.
 *
 * @param base   {@code <group>_<type>_<n>_e}: the prefix of every epoch's consumer of the partition
 * @param name   this epoch's consumer
 * @param subject the partition's subject, which a consumer of the partition filters
 * @param epoch  the lease epoch it is made for
 * @param floor  the last stream sequence handled already; this epoch's consumer delivers what comes after it
 * @param create the consumer to create, or null when this epoch's exists already (an earlier attempt made it)
 */
record ConsumerStart(String base, String name, String subject, long epoch, long floor, ConsumerConfiguration create) {

    /**
     * A consumer as the server lists it.
     *
     * @param filterSubject the subject it reads: consumer names can collide (group {@code orders_line} with type
     *                      {@code item}, group {@code orders} with type {@code line_item}), subjects cannot
     * @param startSequence its {@code opt_start_seq}, null or 0 (the client's "unset") when it delivers all
     */
    record Existing(String name, String filterSubject, long ackFloor, Long startSequence) {

        /** What it handled: a consumer that acknowledged nothing reports an ack floor of 0, hence its start too. */
        long floor() {
            return Math.max(ackFloor, startSequence == null ? 0 : startSequence - 1);
        }
    }

    static ConsumerStart decide(String group, PartitionId partition, long epoch, String subject,
                                List<Existing> existing, NatsSettings settings) {
        String base = PartitionConsumer.consumerBase(group, partition);
        String name = base + epoch;
        long floor = 0;
        Long ownFloor = null;
        for (Existing consumer : existing) {
            if (subject.equals(consumer.filterSubject()) && epochOf(base, consumer.name()).isPresent()) {
                if (consumer.name().equals(name)) {
                    ownFloor = consumer.floor();
                } else {
                    floor = Math.max(floor, consumer.floor());
                }
            }
        }
        if (ownFloor != null) {
            // An earlier attempt of this very term made its consumer (from its predecessors' floor, which it may have
            // deleted since) and then failed, say on a broker restart: go on with it. Its start cannot be changed
            // (JetStream refuses to update a deliver policy), and it already starts where the predecessors stopped.
            return new ConsumerStart(base, name, subject, epoch, ownFloor, null);
        }
        ConsumerConfiguration.Builder config = ConsumerConfiguration.builder().durable(name).filterSubject(subject)
            .ackPolicy(AckPolicy.All).ackWait(settings.ackWait()).maxAckPending(settings.maxAckPending());
        config = floor == 0 ? config.deliverPolicy(DeliverPolicy.All)
            : config.deliverPolicy(DeliverPolicy.ByStartSequence).startSequence(floor + 1);
        return new ConsumerStart(base, name, subject, epoch, floor, config.build());
    }

    /**
     * Whether {@code consumer} is a lower epoch's consumer of the partition, deleted once this epoch's exists: a deposed
     * owner's late acknowledgement then reaches only its own (deleted) consumer, never this one. A higher epoch's is a
     * newer owner's (this one was deposed while starting; its lease check stops it): never deleted.
     */
    boolean deletes(String consumer, String filterSubject) {
        return subject.equals(filterSubject) && namesLowerEpoch(consumer);
    }

    /** Whether {@code consumer}'s name is a lower epoch's of the partition (its subject still to be checked). */
    boolean namesLowerEpoch(String consumer) {
        OptionalLong of = epochOf(base, consumer);
        return of.isPresent() && of.getAsLong() < epoch;
    }

    /** The epoch a consumer of the partition was made for: its name's digits after the base; empty if not one. */
    static OptionalLong epochOf(String base, String consumer) {
        if (!consumer.startsWith(base)) {
            return OptionalLong.empty();
        }
        String suffix = consumer.substring(base.length());
        boolean digits = !suffix.isEmpty() && suffix.length() <= 18 && suffix.chars().allMatch(c -> c >= '0' && c <= '9');
        return digits ? OptionalLong.of(Long.parseLong(suffix)) : OptionalLong.empty();
    }
}
