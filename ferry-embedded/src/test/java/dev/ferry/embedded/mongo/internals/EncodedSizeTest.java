package dev.ferry.embedded.mongo.internals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.bson.BinData;
import de.bwaldvogel.mongo.bson.BsonJavaScript;
import de.bwaldvogel.mongo.bson.BsonRegularExpression;
import de.bwaldvogel.mongo.bson.BsonTimestamp;
import de.bwaldvogel.mongo.bson.Decimal128;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.LegacyUUID;
import de.bwaldvogel.mongo.bson.MaxKey;
import de.bwaldvogel.mongo.bson.MinKey;
import de.bwaldvogel.mongo.bson.ObjectId;

class EncodedSizeTest {

    @Test
    void countsWhatTheEncoderWritesForEveryTypeItWrites() {
        Document document = new Document("_id", new ObjectId())
            .append("double", 1.5)
            .append("string", "plain")
            .append("int", 7)
            .append("long", 7L)
            .append("decimal", new Decimal128(new BigDecimal("12.345")))
            .append("true", true)
            .append("false", false)
            .append("null", null)
            .append("date", Instant.parse("2026-01-01T00:00:00Z"))
            .append("timestamp", new BsonTimestamp(42L))
            .append("regex", new BsonRegularExpression("^a.*é$", "im"))
            .append("javascript", new BsonJavaScript("function () { return 'ü'; }"))
            .append("binary", new BinData(new byte[] {1, 2, 3, 4, 5}))
            .append("uuid", UUID.randomUUID())
            .append("legacyUuid", new LegacyUUID(UUID.randomUUID()))
            .append("max", MaxKey.getInstance())
            .append("min", MinKey.getInstance())
            .append("nested", new Document("inner", new Document("deep", List.of(1, "two", new Document()))))
            .append("set", new LinkedHashSet<>(List.of("a", "b")))
            .append("empty", new Document())
            .append("emptyArray", List.of());
        assertThat(EncodedSize.of(document)).isEqualTo(encodedLength(document));
    }

    @Test
    void countsArrayIndexesOfEveryWidth() {
        List<Object> elements = new ArrayList<>(IntStream.range(0, 1_234).boxed().toList());
        Document document = new Document("array", elements);
        assertThat(EncodedSize.of(document)).isEqualTo(encodedLength(document));
    }

    @Test
    void countsStringsAndKeysInUtf8AsJavaEncodesThem() {
        String[] texts = {"", "ascii", "é ü ß", "€ 中文", "emoji 😀 pair", "lone high \uD83D end", "lone low \uDE00 end",
            "high at the end \uD83D", "\u0000 nul inside", "\u07FF\u0800\uFFFF"};
        for (String text : texts) {
            Document document = new Document(text, text).append("k", List.of(text));
            assertThat(EncodedSize.of(document)).as(text).isEqualTo(encodedLength(document));
            assertThat(EncodedSize.utf8Length(text)).as(text).isEqualTo(text.getBytes(StandardCharsets.UTF_8).length);
        }
    }

    @Test
    void refusesWhatTheEncoderRefuses() {
        Document missing = new Document("gone", Missing.getInstance());
        assertThatThrownBy(() -> encodedLength(missing)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EncodedSize.of(missing)).isInstanceOf(IllegalArgumentException.class);
        Document unknown = new Document("thread", Thread.currentThread());
        assertThatThrownBy(() -> EncodedSize.of(unknown)).isInstanceOf(IllegalArgumentException.class);
    }

    private static int encodedLength(Document document) {
        return DirectBackend.encodedLength(document);
    }
}
