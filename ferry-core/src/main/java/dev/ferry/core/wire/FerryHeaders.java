package dev.ferry.core.wire;

import java.util.function.BiConsumer;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.Event;
import dev.ferry.core.event.Tombstone;
import dev.ferry.core.relay.spi.RecordPublisher;

/**
 * Names of the headers Ferry puts on every record, on every transport. The value alone is the complete event;
 * headers add CloudEvents attributes (binary mode) for routing, and where the record came from.
 */
public final class FerryHeaders {

    public static final String CE_SPECVERSION = "ce_specversion";
    public static final String CE_ID = "ce_id";
    public static final String CE_TYPE = "ce_type";
    public static final String CE_SOURCE = "ce_source";
    public static final String CE_SUBJECT = "ce_subject";
    public static final String CE_TIME = "ce_time";
    public static final String CONTENT_TYPE = "content-type";
    /**
     * CloudEvents extension: how the subject's versions follow each other, {@code contiguous} or {@code increasing}
     * ({@link dev.ferry.core.event.VersionRule}); the same as the value's {@code versionRule}.
     */
    public static final String CE_VERSION_RULE = "ce_ferryversionrule";
    /** CloudEvents extension on entity records: the change's version ({@link dev.ferry.core.event.EntityVersion}). */
    public static final String CE_VERSION = "ce_ferryversion";
    /** On the record that follows an entity's delete: {@code true}; its value is empty (Kafka: null). */
    public static final String FERRY_TOMBSTONE = "ferry_tombstone";
    /** The relay instance that published the record. */
    public static final String FERRY_INSTANCE = "ferry_instance";
    /** The lease epoch it published in. */
    public static final String FERRY_EPOCH = "ferry_epoch";
    /** The event's position in the relay's output, stable across failovers: equal values are duplicates. */
    public static final String FERRY_SEQUENCE = "ferry_sequence";
    /** On dead letters: why the document was not relayed. */
    public static final String FERRY_REASON = "ferry_reason";

    private static final String SPECVERSION = "1.0";
    private static final String JSON = "application/json";

    private FerryHeaders() {
    }

    /** The headers of an event's record, name and value, in one order for every transport. */
    public static void forEvent(Event event, BiConsumer<String, String> header) {
        forEvent(event, source(event.aggregateType()), event.timestamp().toString(), header);
    }

    /**
     * The same, with the {@code ce_source} and {@code ce_time} values made by the caller (a {@link RecordEncoder}
     * keeps the source of the last type, and writes the time without {@code Instant}'s formatter).
     */
    static void forEvent(Event event, String source, String time, BiConsumer<String, String> header) {
        header.accept(CE_SPECVERSION, SPECVERSION);
        header.accept(CE_ID, event.eventId());
        header.accept(CE_TYPE, event.eventType());
        header.accept(CE_SOURCE, source);
        header.accept(CE_SUBJECT, event.aggregateId());
        header.accept(CE_TIME, time);
        header.accept(CONTENT_TYPE, JSON);
        header.accept(CE_VERSION_RULE, event.versionRule().wireName());
    }

    /** The {@code ce_source} of a record of {@code type}. */
    static String source(String type) {
        return "ferry/" + type;
    }

    /** The headers of an entity change's record: {@code ce_type} is {@code <entity>.<operation>}, e.g. {@code patient.update}. */
    public static void forEntityChange(EntityChange change, BiConsumer<String, String> header) {
        header.accept(CE_SPECVERSION, SPECVERSION);
        header.accept(CE_ID, change.recordId());
        header.accept(CE_TYPE, change.entity() + "." + change.operation().wireName());
        header.accept(CE_SOURCE, source(change.entity()));
        header.accept(CE_SUBJECT, change.id());
        header.accept(CE_TIME, change.time().toString());
        header.accept(CONTENT_TYPE, JSON);
        header.accept(CE_VERSION_RULE, change.versionRule().wireName());
        header.accept(CE_VERSION, change.version().wire());
    }

    /** The headers of a tombstone: the key's delete it follows, by id and version. */
    public static void forTombstone(Tombstone tombstone, BiConsumer<String, String> header) {
        header.accept(CE_SUBJECT, tombstone.key());
        header.accept(CE_VERSION, tombstone.of().version().wire());
        header.accept(FERRY_TOMBSTONE, "true");
    }

    /** Who published a record, in which epoch, at which position of the relay's output. */
    public static void forProvenance(RecordPublisher.Provenance provenance, BiConsumer<String, String> header) {
        header.accept(FERRY_INSTANCE, provenance.instanceId());
        header.accept(FERRY_EPOCH, Long.toString(provenance.epoch()));
        header.accept(FERRY_SEQUENCE, Long.toString(provenance.sequence()));
    }
}
