package dev.ferry.embedded.mongo.internals;

import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;

/**
 * Resume tokens of the embedded server: {@code {_data: "82<16 hex digits>[kind]"}}, the oplog timestamp of a
 * position plus what kind of position it is. They begin as a real server's do (since 4.2): the KeyString type byte of
 * a timestamp (0x82), then the cluster time's seconds and increment, so a client that reads a token's cluster time
 * reads it here too. Clients must otherwise treat them as opaque, as with a real MongoDB.
 */
final class ResumeTokens {

    static final String DATA = "_data";
    /** The KeyString type byte of a timestamp, with which a real server's tokens begin. */
    private static final String TIMESTAMP_TYPE = "82";
    private static final int BAD_VALUE = 2;
    private static final int HEX_LENGTH = 16;

    /** What a token points at: it decides how a stream may continue from it. */
    enum Kind {
        /** a change event; the entry must still exist */
        EVENT(""),
        /** a post-batch position: everything up to it was scanned, whether or not anything matched */
        HIGH_WATER_MARK("h"),
        /** the invalidate that ended a stream: only {@code startAfter} may continue from it */
        INVALIDATE("i");

        private final String suffix;

        Kind(String suffix) {
            this.suffix = suffix;
        }
    }

    /** A decoded token. */
    record Position(long timestamp, Kind kind) {
    }

    private ResumeTokens() {
    }

    static Document encode(long timestamp) {
        return encode(timestamp, Kind.EVENT);
    }

    static Document encode(long timestamp, Kind kind) {
        String hex = Long.toHexString(timestamp);
        return new Document(DATA, TIMESTAMP_TYPE + "0".repeat(HEX_LENGTH - hex.length()) + hex + kind.suffix);
    }

    /** Parses a token given by a client, refusing anything this server did not issue. */
    static Position decode(Object token) {
        if (token instanceof Document document && document.get(DATA) instanceof String tagged
            && tagged.startsWith(TIMESTAMP_TYPE)) {
            String data = tagged.substring(TIMESTAMP_TYPE.length());
            if (data.length() >= HEX_LENGTH && data.chars().limit(HEX_LENGTH).allMatch(ResumeTokens::isHexDigit)) {
                String suffix = data.substring(HEX_LENGTH);
                for (Kind kind : Kind.values()) {
                    if (kind.suffix.equals(suffix)) {
                        return new Position(Long.parseUnsignedLong(data.substring(0, HEX_LENGTH), 16), kind);
                    }
                }
            }
        }
        throw new MongoServerError(BAD_VALUE, "BadValue", "malformed resume token: " + token);
    }

    private static boolean isHexDigit(int c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }
}
