package dev.ferry.mongodb.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;

import org.bson.BsonArray;
import org.bson.BsonBinary;
import org.bson.BsonBoolean;
import org.bson.BsonDateTime;
import org.bson.BsonDecimal128;
import org.bson.BsonDocument;
import org.bson.BsonDouble;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonJavaScript;
import org.bson.BsonMaxKey;
import org.bson.BsonMinKey;
import org.bson.BsonNull;
import org.bson.BsonObjectId;
import org.bson.BsonRegularExpression;
import org.bson.BsonString;
import org.bson.BsonSymbol;
import org.bson.BsonTimestamp;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;

/** An entity change's document is character for character the driver's canonical Extended JSON, every type alike. */
class CanonicalJsonTest {

    private static final JsonWriterSettings DRIVER = JsonWriterSettings.builder().outputMode(JsonMode.EXTENDED).build();

    @Test
    void everyBsonTypeIsWrittenAsTheDriverWritesIt() {
        BsonDocument document = new BsonDocument("_id", new BsonObjectId(new ObjectId()))
            .append("int", new BsonInt32(7)).append("long", new BsonInt64(1L << 40))
            .append("double", new BsonDouble(2.5)).append("nan", new BsonDouble(Double.NaN))
            .append("infinity", new BsonDouble(Double.NEGATIVE_INFINITY))
            .append("decimal", new BsonDecimal128(Decimal128.parse("1.10")))
            .append("date", new BsonDateTime(1_765_000_000_123L)).append("bool", BsonBoolean.TRUE)
            .append("null", BsonNull.VALUE).append("binary", new BsonBinary(new byte[] {1, 2, 3}))
            .append("timestamp", new BsonTimestamp(1_765_000_000, 3))
            .append("regex", new BsonRegularExpression("^a.*\"b", "i")).append("code", new BsonJavaScript("f()"))
            .append("symbol", new BsonSymbol("s")).append("min", new BsonMinKey()).append("max", new BsonMaxKey())
            .append("array", new BsonArray(List.of(new BsonInt32(1), new BsonString("two \"quoted\" é\n"))))
            .append("nested", new BsonDocument("deep", new BsonDocument("x", new BsonString("tab\there"))));
        assertSameAsDriver(document);
    }

    @Test
    void everyCharacterAndRandomStringsAreWrittenAsTheDriverWritesThem() {
        for (int c = 0; c <= Character.MAX_VALUE; c++) {
            assertSameAsDriver(new BsonDocument("k", new BsonString("a" + (char) c + "b")));
        }
        SplittableRandom random = new SplittableRandom(31);
        for (int i = 0; i < 1_000; i++) {
            StringBuilder text = new StringBuilder();
            for (int n = random.nextInt(2_000); n > 0; n--) {
                text.append(random.nextInt(20) == 0 ? (char) random.nextInt(0x3000) : (char) random.nextInt(0x20, 0x7f));
            }
            assertSameAsDriver(new BsonDocument("notes", new BsonString(text.toString())).append("n", new BsonInt32(i)));
        }
    }

    private static void assertSameAsDriver(BsonDocument document) {
        assertThat(CanonicalJson.of(document)).isEqualTo(document.toJson(DRIVER));
        RawBsonDocument raw = new RawBsonDocument(document, new BsonDocumentCodec());
        assertThat(CanonicalJson.of(raw)).isEqualTo(raw.toJson(DRIVER));
    }
}
