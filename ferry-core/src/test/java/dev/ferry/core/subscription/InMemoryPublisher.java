package dev.ferry.core.subscription;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.Event;
import dev.ferry.core.event.FerryRecord;
import dev.ferry.core.partition.KeyPartitioner;
import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.RecordPublisher;
import dev.ferry.core.relay.spi.RecordRefused;
import dev.ferry.core.subscription.InMemoryBroker.Fault;
import dev.ferry.core.subscription.InMemoryBroker.Stored;
import dev.ferry.core.wire.EntityJson;
import dev.ferry.core.wire.EventJson;

/**
 * Publishes to an {@link InMemoryBroker} by the rules every transport shares: a type of {@code [A-Za-z0-9_-]}, not
 * the reserved {@code dead-letter}, a record within {@link #MAX_RECORD_BYTES}; a key's partition is
 * {@link KeyPartitioner}'s. Stored at once, so every send is acknowledged at once.
 */
final class InMemoryPublisher implements RecordPublisher {

    static final int MAX_RECORD_BYTES = 1_048_576;
    static final String SIZE_LIMIT = "the in-memory limit";
    private static final Pattern TYPE = Pattern.compile("[A-Za-z0-9_-]+");

    private final InMemoryBroker broker;

    InMemoryPublisher(InMemoryBroker broker) {
        this.broker = broker;
    }

    @Override
    public Prepared prepare(FerryRecord record) {
        String field = record instanceof Event ? "aggregateType" : "entity";
        if (!TYPE.matcher(record.type()).matches()) {
            throw new RecordRefused(field + ": '" + record.type() + "' may only contain A-Z a-z 0-9 _ -", false);
        }
        if (record.type().equals("dead-letter") && broker.fault != Fault.ACCEPTS_RESERVED_TYPES) {
            throw new RecordRefused(field + " 'dead-letter' is reserved: it names the dead letters", false);
        }
        byte[] value = record instanceof Event event ? EventJson.encode(event).getBytes(UTF_8)
            : record instanceof EntityChange change ? EntityJson.encode(change).getBytes(UTF_8) : null;
        long size = record.key().length() + (value == null ? 0 : value.length);
        if (size > MAX_RECORD_BYTES) {
            throw new RecordRefused("the record of " + record.type() + " " + record.key() + " would be " + size
                + " bytes, over " + SIZE_LIMIT + " of " + MAX_RECORD_BYTES, true);
        }
        return new Outgoing(record, value);
    }

    private record Outgoing(FerryRecord record, byte[] value) implements Prepared {
    }

    @Override
    public CompletableFuture<Void> publish(Prepared prepared, Provenance provenance) {
        Outgoing outgoing = (Outgoing) prepared;
        FerryRecord record = outgoing.record();
        broker.append(record.type(), KeyPartitioner.partitionOf(record.key(), InMemoryBroker.PARTITIONS),
            new Stored(record.key(), outgoing.value()));
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> publishDeadLetter(Change.Refused malformed, Provenance provenance) {
        broker.deadLetter(malformed.reason());
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close() {
    }

    @Override
    public void abort() {
    }
}
