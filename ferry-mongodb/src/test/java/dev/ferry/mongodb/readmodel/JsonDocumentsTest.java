package dev.ferry.mongodb.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;

import org.bson.Document;
import org.junit.jupiter.api.Test;

/** A change's JSON reads as exactly the document {@link Document#parse} makes of it, types included. */
class JsonDocumentsTest {

    @Test
    void plainJsonReadsAsTheDriverReadsIt() {
        for (String json : new String[] {"{}", "{\"a\": 1}", "{\"i\": 2147483647, \"j\": -2147483648, \"k\": 2147483648,"
            + " \"l\": -2147483649, \"m\": 9223372036854775807, \"z\": -0}", "{\"d\": 1.0, \"e\": 1e5, \"f\": -0.0,"
            + " \"g\": 1.5E-300, \"h\": 1e400, \"p\": 0.1}", "{\"s\": \"quote \\\" \\\\ \\n \\u00e9 \\ud83d\\ude00 é\"}",
            "{\"a\": [1, [2, [3]], {\"b\": null}, true, false, \"x\"], \"n\": null}", "{\"dup\": 1, \"other\": 2, \"dup\": 3}",
            "{\"nested\": {\"deeper\": {\"deepest\": [{}]}}}"}) {
            assertThat(JsonDocuments.plain(json)).as("read without the driver: " + json).isNotNull();
            assertSameAsDriver(json);
        }
    }

    @Test
    void extendedOrLaxJsonIsLeftToTheDriver() {
        for (String json : new String[] {"{\"at\": {\"$date\": \"2026-11-23T16:00:00Z\"}}", "{\"id\": {\"$oid\": "
            + "\"5f1d7a3e9b1e8a3c4d5e6f70\"}}", "{\"n\": {\"$numberLong\": \"1\"}}", "{\"a\": [{\"$numberDecimal\": \"1.1\"}]}",
            "{\"big\": 9223372036854775808}", "{a: 1}", "{'a': 'b'}", "{\"a\": new Date(0)}", "{\"a\": 1} trailing",
            "[1]", "1", "", "{\"a\": }", "{\"a\": 01}"}) {
            assertThat(JsonDocuments.plain(json)).as("left to the driver: " + json).isNull();
            assertSameAsDriver(json);
        }
    }

    @Test
    void randomDocumentsReadAsTheDriverReadsThem() {
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < 5_000; i++) {
            assertSameAsDriver(randomObject(random, 3).toJson());
        }
    }

    private static Document randomObject(SplittableRandom random, int depth) {
        Document document = new Document();
        for (int f = random.nextInt(6); f > 0; f--) {
            document.append("f" + random.nextInt(10), randomValue(random, depth));
        }
        return document;
    }

    private static Object randomValue(SplittableRandom random, int depth) {
        return switch (random.nextInt(depth > 0 ? 9 : 7)) {
            case 0 -> random.nextInt();
            case 1 -> random.nextLong();
            case 2 -> random.nextDouble() * Math.pow(10, random.nextInt(-20, 20));
            case 3 -> "s" + random.nextInt() + (random.nextBoolean() ? "\"\\é\n" : "");
            case 4 -> random.nextBoolean();
            case 5 -> null;
            case 6 -> (double) random.nextInt(100);
            case 7 -> randomObject(random, depth - 1);
            default -> java.util.Arrays.asList(randomValue(random, depth - 1), randomValue(random, depth - 1));
        };
    }

    private static void assertSameAsDriver(String json) {
        Object expected;
        try {
            expected = Document.parse(json);
        } catch (RuntimeException e) {
            expected = e.getClass();
        }
        Object actual;
        try {
            actual = JsonDocuments.parse(json);
        } catch (RuntimeException e) {
            actual = e.getClass();
        }
        assertThat(actual).as(json).isEqualTo(expected);
        if (expected instanceof Document document) {
            assertThat(((Document) actual).toJson()).as(json).isEqualTo(document.toJson()); // same order, same types
        }
    }
}
