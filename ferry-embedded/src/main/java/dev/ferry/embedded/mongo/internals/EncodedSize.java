package dev.ferry.embedded.mongo.internals;

import java.util.Collection;
import java.util.Map;

import de.bwaldvogel.mongo.bson.BinData;
import de.bwaldvogel.mongo.bson.BsonJavaScript;
import de.bwaldvogel.mongo.bson.BsonRegularExpression;
import de.bwaldvogel.mongo.bson.ObjectId;
import de.bwaldvogel.mongo.wire.BsonConstants;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;

/**
 * The number of bytes mongo-java-server's {@link BsonEncoder} writes for a document, counted without writing them.
 * Measuring a document by encoding it costs a growing buffer and a byte array per string, several times the
 * document's size in garbage; the server measured every inserted document that way and every change event again
 * (issue 30). Types are told apart by {@link BsonEncoder#determineType}, so a value the encoder refuses is refused
 * here the same way.
 */
final class EncodedSize {

    private static final int LENGTH_PREFIX = 4;
    private static final int TERMINATOR = 1;
    private static final int TYPE_BYTE = 1;
    private static final int BINARY_SUBTYPE = 1;

    private EncodedSize() {
    }

    static int of(Map<String, ?> document) {
        int size = LENGTH_PREFIX + TERMINATOR;
        for (Map.Entry<String, ?> element : document.entrySet()) {
            size += TYPE_BYTE + cString(element.getKey()) + value(element.getValue());
        }
        return size;
    }

    @SuppressWarnings("unchecked")
    private static int value(Object value) {
        byte type = BsonEncoder.determineType(value);
        return switch (type) {
            case BsonConstants.TYPE_DOUBLE, BsonConstants.TYPE_UTC_DATETIME, BsonConstants.TYPE_TIMESTAMP,
                 BsonConstants.TYPE_INT64 -> Long.BYTES;
            case BsonConstants.TYPE_INT32 -> Integer.BYTES;
            case BsonConstants.TYPE_BOOLEAN -> 1;
            case BsonConstants.TYPE_DECIMAL128 -> 2 * Long.BYTES;
            case BsonConstants.TYPE_MAX_KEY, BsonConstants.TYPE_MIN_KEY, BsonConstants.TYPE_UNDEFINED,
                 BsonConstants.TYPE_NULL -> 0;
            case BsonConstants.TYPE_UTF8_STRING -> string(value.toString());
            case BsonConstants.TYPE_JAVASCRIPT_CODE -> string(((BsonJavaScript) value).getCode());
            case BsonConstants.TYPE_EMBEDDED_DOCUMENT -> of((Map<String, ?>) value);
            case BsonConstants.TYPE_ARRAY -> array((Collection<?>) value);
            case BsonConstants.TYPE_OBJECT_ID -> objectId((ObjectId) value);
            case BsonConstants.TYPE_REGEX -> cString(((BsonRegularExpression) value).getPattern())
                + cString(((BsonRegularExpression) value).getOptions());
            case BsonConstants.TYPE_DATA -> value instanceof BinData binary
                ? LENGTH_PREFIX + BINARY_SUBTYPE + binary.getData().length
                : LENGTH_PREFIX + BINARY_SUBTYPE + BsonConstants.LENGTH_UUID;
            default -> throw new IllegalArgumentException("unhandled type: " + value.getClass());
        };
    }

    /** An array is encoded as a document keyed "0", "1", ... */
    private static int array(Collection<?> elements) {
        int size = LENGTH_PREFIX + TERMINATOR;
        int index = 0;
        for (Object element : elements) {
            size += TYPE_BYTE + decimalDigits(index) + TERMINATOR + value(element);
            index++;
        }
        return size;
    }

    private static int objectId(ObjectId id) {
        if (id.toByteArray().length != BsonConstants.LENGTH_OBJECTID) {
            throw new IllegalArgumentException("Illegal ObjectId: " + id);
        }
        return BsonConstants.LENGTH_OBJECTID;
    }

    private static int string(String text) {
        return LENGTH_PREFIX + utf8Length(text) + TERMINATOR;
    }

    private static int cString(String text) {
        return utf8Length(text) + TERMINATOR;
    }

    /** As {@code text.getBytes(UTF_8).length}: a surrogate without its pair is replaced by one byte, '?'. */
    static int utf8Length(String text) {
        int length = 0;
        int count = text.length();
        for (int i = 0; i < count; i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                length += 1;
            } else if (c < 0x800) {
                length += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < count && Character.isLowSurrogate(text.charAt(i + 1))) {
                length += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                length += 1;
            } else {
                length += 3;
            }
        }
        return length;
    }

    private static int decimalDigits(int index) {
        int digits = 1;
        for (int rest = index / 10; rest > 0; rest /= 10) {
            digits++;
        }
        return digits;
    }
}
