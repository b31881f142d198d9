package dev.ferry.mongodb.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;

import org.bson.BsonDocument;
import org.bson.BsonString;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;
import org.junit.jupiter.api.Test;

/** The relay's JSON is character for character the driver's relaxed extended JSON. */
class RelaxedJsonTest {

    private static final JsonWriterSettings DRIVER = JsonWriterSettings.builder().outputMode(JsonMode.RELAXED).build();

    @Test
    void everyCharacterIsWrittenAsTheDriverWritesIt() {
        for (int c = 0; c <= Character.MAX_VALUE; c++) {
            assertSameAsDriver(new BsonDocument("k", new BsonString("a" + (char) c + "b")));
        }
    }

    @Test
    void randomStringsAndDocumentsAreWrittenAsTheDriverWritesThem() {
        SplittableRandom random = new SplittableRandom(6);
        for (int i = 0; i < 2_000; i++) {
            BsonDocument document = new BsonDocument();
            for (int f = 0; f < 5; f++) {
                StringBuilder text = new StringBuilder();
                for (int n = random.nextInt(40); n > 0; n--) {
                    // Mostly printable ASCII, as real payloads are, with quotes, escapes and the odd non-ASCII char.
                    text.append(random.nextInt(10) == 0 ? (char) random.nextInt(0x3000) : (char) random.nextInt(0x20, 0x7f));
                }
                document.put("f" + f, new BsonString(text.toString()));
            }
            document.put("nested", new BsonDocument("inner", document.get("f0")));
            assertSameAsDriver(document);
        }
    }

    @Test
    void smallDocumentsOfStringsLikeResumeTokensAreWrittenAsTheDriverWritesThem() {
        assertSameAsDriver(new BsonDocument());
        assertSameAsDriver(new BsonDocument("_data", new BsonString("8266F0A1B2000000012B022C0100296E5A1004")));
        SplittableRandom random = new SplittableRandom(32);
        for (int i = 0; i < 5_000; i++) {
            BsonDocument document = new BsonDocument();
            for (int f = random.nextInt(6); f > 0; f--) {
                StringBuilder text = new StringBuilder();
                for (int n = random.nextInt(20); n > 0; n--) {
                    text.append(random.nextInt(8) == 0 ? (char) random.nextInt(1, 0x80) : (char) random.nextInt(0x20, 0x7f));
                }
                document.put(random.nextBoolean() ? text.toString() : "_data" + f,
                    random.nextInt(10) == 0 ? new org.bson.BsonInt32(f) : new BsonString(text.toString()));
            }
            assertSameAsDriver(document);
        }
    }

    @Test
    void nestedDocumentsOfPlainAndOtherValuesAreWrittenAsTheDriverWritesThem() {
        SplittableRandom random = new SplittableRandom(33);
        for (int i = 0; i < 3_000; i++) {
            assertSameAsDriver(randomDocument(random, 0));
        }
    }

    private static BsonDocument randomDocument(SplittableRandom random, int depth) {
        BsonDocument document = new BsonDocument();
        for (int f = random.nextInt(5); f > 0; f--) {
            document.put(random.nextInt(30) == 0 ? "k\u00fc" + f : "k" + f, randomValue(random, depth));
        }
        return document;
    }

    private static org.bson.BsonValue randomValue(SplittableRandom random, int depth) {
        return switch (random.nextInt(depth < 3 ? 12 : 9)) {
            case 0 -> new org.bson.BsonInt32(random.nextInt());
            case 1 -> new org.bson.BsonInt64(random.nextLong());
            case 2 -> org.bson.BsonBoolean.valueOf(random.nextBoolean());
            case 3 -> org.bson.BsonNull.VALUE;
            case 4 -> new BsonString(random.nextInt(20) == 0 ? "\"\u00e9\n" : "text " + random.nextInt(1000));
            case 5 -> new org.bson.BsonDouble(random.nextInt(20) == 0 ? random.nextDouble() : 7);
            case 6 -> new org.bson.BsonDateTime(random.nextLong(-100_000_000_000_000L, 300_000_000_000_000L));
            case 7 -> new org.bson.BsonObjectId();
            case 8 -> new BsonString("");
            case 9, 10 -> randomDocument(random, depth + 1);
            default -> {
                org.bson.BsonArray array = new org.bson.BsonArray();
                for (int n = random.nextInt(4); n > 0; n--) {
                    array.add(randomValue(random, depth + 1));
                }
                yield array;
            }
        };
    }

    private static void assertSameAsDriver(BsonDocument document) {
        assertThat(RelaxedJson.of(document)).isEqualTo(document.toJson(DRIVER));
        // Raw, as the relay reads it (a lone surrogate has no UTF-8 form: the raw bytes hold '?' instead).
        RawBsonDocument raw = new RawBsonDocument(document, new BsonDocumentCodec());
        assertThat(RelaxedJson.of(raw)).isEqualTo(raw.toJson(DRIVER));
    }
}
