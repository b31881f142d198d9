package dev.ferry.embedded.mongo.internals;

import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;

/**
 * Resume tokens of the embedded server: {@code {_data: "<16 hex digits>"}}, the oplog timestamp of the event.
 * Clients must treat them as opaque, as with a real MongoDB.
 */
final class ResumeTokens {

    static final String DATA = "_data";
    private static final int BAD_VALUE = 2;
    private static final int LENGTH = 16;

    private ResumeTokens() {
    }

    static Document encode(long timestamp) {
        return new Document(DATA, String.format("%016x", timestamp));
    }

    /** Parses a token given by a client, refusing anything this server did not issue. */
    static long decode(Object token) {
        if (token instanceof Document document && document.get(DATA) instanceof String data
            && data.length() == LENGTH && data.chars().allMatch(ResumeTokens::isHexDigit)) {
            return Long.parseUnsignedLong(data, 16);
        }
        throw new MongoServerError(BAD_VALUE, "BadValue", "malformed resume token: " + token);
    }

    private static boolean isHexDigit(int c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }
}
