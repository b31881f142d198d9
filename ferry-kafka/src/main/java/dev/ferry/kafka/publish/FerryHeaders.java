package dev.ferry.kafka.publish;

/**
 * Names of the headers Ferry puts on every Kafka record: the transport-neutral names of
 * {@link dev.ferry.core.wire.FerryHeaders}, kept here under their old place for the code that imports them from it.
 */
public final class FerryHeaders {

    public static final String CE_SPECVERSION = dev.ferry.core.wire.FerryHeaders.CE_SPECVERSION;
    public static final String CE_ID = dev.ferry.core.wire.FerryHeaders.CE_ID;
    public static final String CE_TYPE = dev.ferry.core.wire.FerryHeaders.CE_TYPE;
    public static final String CE_SOURCE = dev.ferry.core.wire.FerryHeaders.CE_SOURCE;
    public static final String CE_SUBJECT = dev.ferry.core.wire.FerryHeaders.CE_SUBJECT;
    public static final String CE_TIME = dev.ferry.core.wire.FerryHeaders.CE_TIME;
    public static final String CONTENT_TYPE = dev.ferry.core.wire.FerryHeaders.CONTENT_TYPE;
    /** CloudEvents extension: {@code contiguous} or {@code increasing}, as the value's {@code versionRule}. */
    public static final String CE_VERSION_RULE = dev.ferry.core.wire.FerryHeaders.CE_VERSION_RULE;
    public static final String FERRY_INSTANCE = dev.ferry.core.wire.FerryHeaders.FERRY_INSTANCE;
    public static final String FERRY_EPOCH = dev.ferry.core.wire.FerryHeaders.FERRY_EPOCH;
    public static final String FERRY_SEQUENCE = dev.ferry.core.wire.FerryHeaders.FERRY_SEQUENCE;
    public static final String FERRY_REASON = dev.ferry.core.wire.FerryHeaders.FERRY_REASON;

    private FerryHeaders() {
    }
}
