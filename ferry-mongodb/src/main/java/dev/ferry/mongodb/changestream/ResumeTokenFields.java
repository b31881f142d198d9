package dev.ferry.mongodb.changestream;

import java.util.Optional;
import java.util.OptionalLong;

import org.bson.BsonDocument;
import org.bson.BsonValue;

import dev.ferry.core.relay.spi.ResumeToken;

/**
 * The fields a change stream's resume token begins with. Since MongoDB 4.2 a token's {@code _data} is a hex-encoded
 * KeyString of, in this order: the cluster time (type byte {@code 82}, then seconds and increment as two big-endian
 * 32-bit numbers), the token format's version, (from version 1 on) the token type, and the index of the change within
 * its transaction ({@code txnOpIndex}), then fields Ferry does not read. Integers are KeyString numbers: type byte
 * {@code 29} for zero, {@code 2b}..{@code 32} for a positive integer of 1..8 bytes holding the value shifted left by
 * one. Anything else yields nothing rather than a guess.
 */
public final class ResumeTokenFields {

    private static final int TIMESTAMP_TYPE = 0x82;
    private static final int ZERO = 0x29;
    private static final int POSITIVE_1_BYTE = 0x2b;
    private static final int POSITIVE_8_BYTES = 0x32;

    private ResumeTokenFields() {
    }

    /** A cluster time: seconds and increment, each an unsigned 32-bit number. */
    public record ClusterTime(long seconds, long increment) {
    }

    public static Optional<ClusterTime> clusterTime(ResumeToken token) {
        return clusterTime(parsed(token));
    }

    /** The same, of a token as the driver gives it (no round trip through JSON). */
    public static Optional<ClusterTime> clusterTime(BsonDocument token) {
        byte[] data = data(token);
        if (data == null || data.length < 9 || (data[0] & 0xff) != TIMESTAMP_TYPE) {
            return Optional.empty();
        }
        return Optional.of(new ClusterTime(uint32(data, 1), uint32(data, 5)));
    }

    /** The change's index within its transaction (0 outside one), where the token carries it. */
    public static OptionalLong transactionIndex(ResumeToken token) {
        return transactionIndex(parsed(token));
    }

    /** The same, of a token as the driver gives it (no round trip through JSON). */
    public static OptionalLong transactionIndex(BsonDocument token) {
        byte[] data = data(token);
        if (data == null || data.length < 9 || (data[0] & 0xff) != TIMESTAMP_TYPE) {
            return OptionalLong.empty();
        }
        int[] at = {9};
        OptionalLong version = integer(data, at);
        if (version.isEmpty()) {
            return OptionalLong.empty();
        }
        if (version.getAsLong() >= 1 && integer(data, at).isEmpty()) { // the token type
            return OptionalLong.empty();
        }
        return integer(data, at);
    }

    private static OptionalLong integer(byte[] data, int[] at) {
        if (at[0] >= data.length) {
            return OptionalLong.empty();
        }
        int type = data[at[0]] & 0xff;
        if (type == ZERO) {
            at[0]++;
            return OptionalLong.of(0);
        }
        if (type < POSITIVE_1_BYTE || type > POSITIVE_8_BYTES) {
            return OptionalLong.empty();
        }
        int bytes = type - POSITIVE_1_BYTE + 1;
        if (at[0] + 1 + bytes > data.length) {
            return OptionalLong.empty();
        }
        long value = 0;
        for (int i = 0; i < bytes; i++) {
            value = (value << 8) | (data[at[0] + 1 + i] & 0xff);
        }
        at[0] += 1 + bytes;
        return OptionalLong.of(value >>> 1);
    }

    private static long uint32(byte[] data, int offset) {
        return ((long) (data[offset] & 0xff) << 24) | ((data[offset + 1] & 0xff) << 16) | ((data[offset + 2] & 0xff) << 8)
            | (data[offset + 3] & 0xff);
    }

    private static BsonDocument parsed(ResumeToken token) {
        try {
            return BsonDocument.parse(token.value());
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The hex {@code _data} as bytes, as far as it is hex; null if the token has none. */
    private static byte[] data(BsonDocument token) {
        if (token == null) {
            return null;
        }
        try {
            BsonValue data = token.get("_data");
            if (data == null || !data.isString()) {
                return null;
            }
            String hex = data.asString().getValue();
            int length = 0;
            while (length + 1 < hex.length() && Character.digit(hex.charAt(length), 16) >= 0
                && Character.digit(hex.charAt(length + 1), 16) >= 0) {
                length += 2;
            }
            byte[] bytes = new byte[length / 2];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = (byte) Integer.parseInt(hex, 2 * i, 2 * i + 2, 16);
            }
            return bytes;
        } catch (RuntimeException e) {
            return null;
        }
    }
}
