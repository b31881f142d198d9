package dev.ferry.mongodb.changestream;

import java.time.Instant;
import java.util.Optional;

import org.bson.BsonDocument;
import org.bson.BsonValue;

import dev.ferry.core.relay.spi.ResumeToken;

/**
 * The cluster time a change stream's resume token stands for. Since MongoDB 4.2 a token's {@code _data} is a
 * hex-encoded KeyString that begins with the cluster time: the type byte of a timestamp ({@code 82}), then its
 * seconds and increment as two big-endian 32-bit numbers. Post-batch tokens begin the same way, so a quiet stream's
 * position has a time too. Any other shape yields no time rather than a guess.
 */
public final class ResumeTokenTime {

    private static final String TIMESTAMP_TYPE = "82";
    private static final int SECONDS_HEX = 8;

    private ResumeTokenTime() {
    }

    public static Optional<Instant> of(ResumeToken token) {
        try {
            BsonValue data = BsonDocument.parse(token.value()).get("_data");
            if (data == null || !data.isString()) {
                return Optional.empty();
            }
            String hex = data.asString().getValue();
            if (!hex.regionMatches(true, 0, TIMESTAMP_TYPE, 0, 2) || hex.length() < 2 + 2 * SECONDS_HEX) {
                return Optional.empty();
            }
            return Optional.of(Instant.ofEpochSecond(Long.parseLong(hex.substring(2, 2 + SECONDS_HEX), 16)));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }
}
