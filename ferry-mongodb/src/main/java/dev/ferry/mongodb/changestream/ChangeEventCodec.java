package dev.ferry.mongodb.changestream;

import org.bson.BsonBinaryReader;
import org.bson.BsonDateTime;
import org.bson.BsonDocument;
import org.bson.BsonInt64;
import org.bson.BsonReader;
import org.bson.BsonReaderMark;
import org.bson.BsonTimestamp;
import org.bson.BsonType;
import org.bson.BsonWriter;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;
import org.bson.codecs.Codec;
import org.bson.codecs.DecoderContext;
import org.bson.codecs.EncoderContext;
import org.bson.codecs.RawBsonDocumentCodec;
import org.bson.codecs.configuration.CodecRegistries;
import org.bson.codecs.configuration.CodecRegistry;
import org.bson.io.BsonInput;
import org.bson.io.BsonInputMark;

import com.mongodb.client.model.changestream.ChangeStreamDocument;

/**
 * Decodes a change event in one pass over its fields into the driver's {@link ChangeStreamDocument}. The driver's own
 * codec ({@link ChangeStreamDocument#createCodec}) goes through its POJO machinery — a property looked up by name and a
 * codec by class for every field, an instance creator per event — which the relay measured at about a quarter of its
 * CPU per event. An event with a field this does not read itself (an update's description, a split event, anything a
 * newer server adds) is read again from its start by the driver's codec, so the result is always the driver's.
 */
final class ChangeEventCodec implements Codec<ChangeStreamDocument<RawBsonDocument>> {

    private static final BsonDocumentCodec DOCUMENTS = new BsonDocumentCodec();
    private static final RawBsonDocumentCodec RAW = new RawBsonDocumentCodec();

    private final Codec<ChangeStreamDocument<RawBsonDocument>> driver;

    private ChangeEventCodec(CodecRegistry registry) {
        this.driver = ChangeStreamDocument.createCodec(RawBsonDocument.class, registry);
    }

    /** {@code registry} with change events (of raw documents) decoded by this codec. */
    static CodecRegistry registry(CodecRegistry registry) {
        return CodecRegistries.fromRegistries(CodecRegistries.fromCodecs(new ChangeEventCodec(registry)), registry);
    }

    @Override
    public ChangeStreamDocument<RawBsonDocument> decode(BsonReader reader, DecoderContext context) {
        BsonReaderMark start = reader.getMark();
        String operationType = null;
        BsonDocument resumeToken = null;
        BsonDocument namespace = null;
        String namespaceType = null;
        BsonDocument destination = null;
        RawBsonDocument fullDocument = null;
        RawBsonDocument before = null;
        BsonDocument documentKey = null;
        BsonTimestamp clusterTime = null;
        BsonInt64 txnNumber = null;
        BsonDocument lsid = null;
        BsonDateTime wallTime = null;
        reader.readStartDocument();
        while (reader.readBsonType() != BsonType.END_OF_DOCUMENT) {
            String name = reader.readName();
            BsonType type = reader.getCurrentBsonType();
            if (type == BsonType.NULL) {
                reader.readNull(); // as the driver's codec: a null field is an absent one
                continue;
            }
            if (nullWhereTheDriverWouldNot(name, type)) {
                return byTheDriver(reader, start, context);
            }
            switch (name) {
                case "_id" -> resumeToken = DOCUMENTS.decode(reader, context);
                case "operationType" -> operationType = reader.readString();
                case "ns" -> namespace = DOCUMENTS.decode(reader, context);
                case "nsType" -> namespaceType = reader.readString();
                case "to" -> destination = DOCUMENTS.decode(reader, context);
                case "fullDocument" -> fullDocument = raw(reader, context);
                case "fullDocumentBeforeChange" -> before = raw(reader, context);
                case "documentKey" -> documentKey = DOCUMENTS.decode(reader, context);
                case "clusterTime" -> clusterTime = reader.readTimestamp();
                case "txnNumber" -> txnNumber = new BsonInt64(reader.readInt64());
                case "lsid" -> lsid = DOCUMENTS.decode(reader, context);
                case "wallTime" -> wallTime = new BsonDateTime(reader.readDateTime());
                default -> {
                    return byTheDriver(reader, start, context);
                }
            }
        }
        reader.readEndDocument();
        return new ChangeStreamDocument<>(operationType, resumeToken, namespace, namespaceType, destination,
            fullDocument, before, documentKey, clusterTime, null, txnNumber, lsid, wallTime, null, null);
    }

    /**
     * The document the reader is at, as raw BSON: its bytes copied once into an array of their size (the raw codec
     * pipes them through a writer into a buffer that grows as it goes).
     */
    private static RawBsonDocument raw(BsonReader reader, DecoderContext context) {
        if (!(reader instanceof BsonBinaryReader binary)) {
            return RAW.decode(reader, context);
        }
        BsonInput input = binary.getBsonInput();
        BsonInputMark start = input.getMark(4);
        byte[] bytes = new byte[input.readInt32()];
        start.reset();
        input.readBytes(bytes);
        start.reset();
        binary.skipValue(); // moves the reader past it, as a read would
        return new RawBsonDocument(bytes);
    }

    /** A known field of a type the driver reads differently (or refuses): left to it, errors included. */
    private static boolean nullWhereTheDriverWouldNot(String name, BsonType type) {
        return switch (name) {
            case "_id", "ns", "to", "fullDocument", "fullDocumentBeforeChange", "documentKey", "lsid" ->
                type != BsonType.DOCUMENT;
            case "operationType", "nsType" -> type != BsonType.STRING;
            case "clusterTime" -> type != BsonType.TIMESTAMP;
            case "txnNumber" -> type != BsonType.INT64;
            case "wallTime" -> type != BsonType.DATE_TIME;
            default -> false;
        };
    }

    private ChangeStreamDocument<RawBsonDocument> byTheDriver(BsonReader reader, BsonReaderMark start,
                                                              DecoderContext context) {
        start.reset();
        return driver.decode(reader, context);
    }

    @Override
    public void encode(BsonWriter writer, ChangeStreamDocument<RawBsonDocument> value, EncoderContext context) {
        driver.encode(writer, value, context);
    }

    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    public Class<ChangeStreamDocument<RawBsonDocument>> getEncoderClass() {
        return (Class) ChangeStreamDocument.class;
    }
}
