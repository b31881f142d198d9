package dev.ferry.mongodb.entity;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

import org.bson.BsonArray;
import org.bson.BsonBinary;
import org.bson.BsonBinarySubType;
import org.bson.BsonBoolean;
import org.bson.BsonDateTime;
import org.bson.BsonDecimal128;
import org.bson.BsonDocument;
import org.bson.BsonDouble;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonJavaScript;
import org.bson.BsonJavaScriptWithScope;
import org.bson.BsonMaxKey;
import org.bson.BsonMinKey;
import org.bson.BsonNull;
import org.bson.BsonObjectId;
import org.bson.BsonRegularExpression;
import org.bson.BsonString;
import org.bson.BsonSymbol;
import org.bson.BsonTimestamp;
import org.bson.BsonValue;
import org.bson.UuidRepresentation;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;

import dev.ferry.core.partition.KeyPartitioner;

/**
 * Writes {@code contracts/keys.json}, the key test vectors, from Ferry's own {@link EntityKeys} and
 * {@link KeyPartitioner}. Run once, when a vector is added (the file is then reviewed and committed, and stays frozen:
 * {@code KeyTestVectorsTest} checks that Ferry still agrees with it, and so does the Node client's test):
 * {@code mvn -B -ntp -o -q -pl ferry-mongodb -am test -Dtest=KeyTestVectorsTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dferry.writeKeyVectors=true}.
 */
final class KeyTestVectorsGenerator {

    static final int[] PARTITION_COUNTS = {1, 3, 6, 12, 64};

    /** One id the vectors cover: a name saying what it shows, and the id. */
    record Case(String name, BsonValue id) {
    }

    private static final ObjectId OID = new ObjectId("6650f1a2b3c4d5e6f7a8b9c0");
    private static final UUID UUID_4 = UUID.fromString("0f8fad5b-d9cb-469f-a165-70867728950e");

    private KeyTestVectorsGenerator() {
    }

    static List<Case> cases() {
        return List.of(
            new Case("objectId", new BsonObjectId(OID)),
            new Case("objectId all zero", new BsonObjectId(new ObjectId("000000000000000000000000"))),
            new Case("string ascii", new BsonString("p-1")),
            new Case("string empty", new BsonString("")),
            new Case("string unicode", new BsonString("ünïcødé-€")),
            new Case("string astral plane (emoji, musical symbol)", new BsonString("🚀-𝄞-👩‍💻")),
            new Case("string with quote, backslash, tab and newline", new BsonString("a\"b\\c\td\ne")),
            new Case("string starting with a byte order mark", new BsonString("\ufeffp-1")),
            new Case("string rival of an objectId: its hex", new BsonString(OID.toHexString())),
            new Case("string in upper-case hex: no rival", new BsonString("6650F1A2B3C4D5E6F7A8B9C0")),
            new Case("string rival of int32 42: its Extended JSON", new BsonString("{\"$numberInt\": \"42\"}")),
            new Case("string rival of true", new BsonString("true")),
            new Case("string rival of null", new BsonString("null")),
            new Case("string 42: no rival (42 reads as an int32, whose key differs)", new BsonString("42")),
            new Case("int32 0", new BsonInt32(0)),
            new Case("int32 42", new BsonInt32(42)),
            new Case("int32 -1", new BsonInt32(-1)),
            new Case("int32 max", new BsonInt32(Integer.MAX_VALUE)),
            new Case("int32 min", new BsonInt32(Integer.MIN_VALUE)),
            new Case("int64 42", new BsonInt64(42)),
            new Case("int64 2^53+1 (beyond a JS number)", new BsonInt64(9_007_199_254_740_993L)),
            new Case("int64 max", new BsonInt64(Long.MAX_VALUE)),
            new Case("int64 min", new BsonInt64(Long.MIN_VALUE)),
            new Case("double 1.0 (integral)", new BsonDouble(1.0)),
            new Case("double 0.0", new BsonDouble(0.0)),
            new Case("double -0.0", new BsonDouble(-0.0)),
            new Case("double -1.5", new BsonDouble(-1.5)),
            new Case("double 0.1", new BsonDouble(0.1)),
            new Case("double pi", new BsonDouble(Math.PI)),
            new Case("double 19.99", new BsonDouble(19.99)),
            new Case("double 0.001 (last plain below 1)", new BsonDouble(0.001)),
            new Case("double 1.0E-4 (first scientific below 1)", new BsonDouble(0.0001)),
            new Case("double 9999999.0 (last plain)", new BsonDouble(9_999_999.0)),
            new Case("double 1.0E7 (first scientific)", new BsonDouble(10_000_000.0)),
            new Case("double 2^53 (integral, large)", new BsonDouble(9_007_199_254_740_992.0)),
            new Case("double 1.0E21", new BsonDouble(1e21)),
            new Case("double 1.5E-7", new BsonDouble(1.5e-7)),
            new Case("double 1.2345678901234567E-300", new BsonDouble(1.2345678901234567e-300)),
            new Case("double 0.1 + 0.2", new BsonDouble(0.1 + 0.2)),
            // Java 17's Double.toString is not always the shortest form (Java 19+ and JavaScript print 1.0E23 etc.)
            new Case("double 1e23 (Java 17: 9.999999999999999E22)", new BsonDouble(1e23)),
            new Case("double 8.41e21 (Java 17: 8.409999999999999E21)", new BsonDouble(8.41e21)),
            new Case("double 2^-1074, the least (Java 17: 4.9E-324)", new BsonDouble(Double.MIN_VALUE)),
            new Case("double subnormal 2^-1060", new BsonDouble(Math.scalb(1.0, -1060))),
            new Case("double 2^60 (integral below 2^63: Java 17 prints its digits)", new BsonDouble(Math.scalb(1.0, 60))),
            new Case("double 2^69 (a power of two: Java 17 is not shortest)", new BsonDouble(Math.scalb(1.0, 69))),
            new Case("double -2^63 + 2^11 (integral, large, negative)", new BsonDouble(-9_223_372_036_854_773_760.0)),
            new Case("double max", new BsonDouble(Double.MAX_VALUE)),
            new Case("double min normal", new BsonDouble(Double.MIN_NORMAL)),
            new Case("double NaN", new BsonDouble(Double.NaN)),
            new Case("double Infinity", new BsonDouble(Double.POSITIVE_INFINITY)),
            new Case("double -Infinity", new BsonDouble(Double.NEGATIVE_INFINITY)),
            new Case("decimal128 1.10 (trailing zero kept)", decimal("1.10")),
            new Case("decimal128 -0", decimal("-0")),
            new Case("decimal128 0E-10", decimal("0E-10")),
            new Case("decimal128 34 digits", decimal("1234567890123456789012345678901234")),
            new Case("decimal128 0.000001 (last plain)", decimal("0.000001")),
            new Case("decimal128 1E-7 (scientific)", decimal("1E-7")),
            new Case("decimal128 1.23E+20", decimal("1.23E+20")),
            new Case("decimal128 max exponent", decimal("9.999999999999999999999999999999999E+6144")),
            new Case("decimal128 min exponent", decimal("1E-6176")),
            new Case("decimal128 NaN", new BsonDecimal128(Decimal128.NaN)),
            new Case("decimal128 Infinity", new BsonDecimal128(Decimal128.POSITIVE_INFINITY)),
            new Case("decimal128 -Infinity", new BsonDecimal128(Decimal128.NEGATIVE_INFINITY)),
            new Case("boolean true", BsonBoolean.TRUE),
            new Case("boolean false", BsonBoolean.FALSE),
            new Case("date epoch", new BsonDateTime(0)),
            new Case("date 2025-12-02T10:06:40.123Z", new BsonDateTime(1_764_670_000_123L)),
            new Case("date 1 ms before 1970", new BsonDateTime(-1)),
            new Case("date 0001-01-01", new BsonDateTime(-62_135_596_800_000L)),
            new Case("timestamp", new BsonTimestamp(1_764_670_000, 5)),
            new Case("timestamp with unsigned parts at max", new BsonTimestamp(-1, -1)),
            new Case("binary subtype 0", new BsonBinary(new byte[] {0, 1, 2, (byte) 0xfe, (byte) 0xff})),
            new Case("binary subtype 0, empty", new BsonBinary(new byte[0])),
            new Case("binary subtype 4 (UUID)", new BsonBinary(UUID_4, UuidRepresentation.STANDARD)),
            new Case("binary subtype 3 (legacy UUID)", new BsonBinary(BsonBinarySubType.UUID_LEGACY, new byte[] {
                (byte) 0x9f, 0x46, (byte) 0xcb, (byte) 0xd9, 0x5b, (byte) 0xad, (byte) 0x8f, 0x0f,
                0x0e, (byte) 0x95, 0x28, 0x77, (byte) 0x86, 0x70, 0x65, (byte) 0xa1})),
            new Case("binary user subtype 0x80", new BsonBinary((byte) 0x80, new byte[] {(byte) 0xca, (byte) 0xfe})),
            new Case("document, two fields", new BsonDocument("tenant", new BsonString("acme")).append("n", new BsonInt32(7))),
            new Case("document, field order kept (z before a)", new BsonDocument("z", new BsonInt32(1)).append("a", new BsonInt32(2))),
            new Case("document, integer-like field names after others (order kept)",
                new BsonDocument("z", new BsonInt32(1)).append("10", new BsonInt32(2)).append("2", new BsonInt32(3))),
            new Case("document, empty", new BsonDocument()),
            new Case("document, nested with many field types", nested()),
            new Case("document, strings the writer escapes", escapes()),
            new Case("minKey", new BsonMinKey()),
            new Case("maxKey", new BsonMaxKey()),
            new Case("null", BsonNull.VALUE),
            new Case("symbol (deprecated)", new BsonSymbol("sym")),
            new Case("code (deprecated as data)", new BsonJavaScript("function () { return 1; }")),
            new Case("code with scope (deprecated)",
                new BsonJavaScriptWithScope("x + 1", new BsonDocument("x", new BsonInt32(1)))));
    }

    private static BsonDecimal128 decimal(String text) {
        return new BsonDecimal128(Decimal128.parse(text));
    }

    private static BsonDocument nested() {
        return new BsonDocument("tenant", new BsonString("acme"))
            .append("seq", new BsonInt64(9_007_199_254_740_993L))
            .append("at", new BsonDateTime(-86_400_000L))
            .append("ratio", new BsonDouble(2.5))
            .append("zero", new BsonDouble(-0.0))
            .append("big", new BsonDouble(1e300))
            .append("nan", new BsonDouble(Double.NaN))
            .append("amount", decimal("12.50"))
            .append("ok", BsonBoolean.TRUE)
            .append("none", BsonNull.VALUE)
            .append("ref", new BsonObjectId(OID))
            .append("uuid", new BsonBinary(UUID_4, UuidRepresentation.STANDARD))
            .append("ts", new BsonTimestamp(1, 2))
            .append("pattern", new BsonRegularExpression("^a.*b$", "xmi"))
            .append("list", new BsonArray(List.of(new BsonInt32(1), new BsonString("two"), new BsonArray(),
                new BsonDocument("three", new BsonDouble(3.0)))))
            .append("inner", new BsonDocument("b", new BsonDocument("c", new BsonInt32(1))).append("a", new BsonDocument()))
            .append("low", new BsonMinKey())
            .append("high", new BsonMaxKey());
    }

    /** Every kind of character the Java driver's JSON writer escapes (by Java 17's Character.getType), and some it keeps. */
    private static BsonDocument escapes() {
        return new BsonDocument("quote\"backslash\\", new BsonString("\"\\/\b\f\n\r\t"))
            .append("controls", new BsonString("\u0000\u0001\u001f\u007f\u0080\u009f"))
            .append("kept", new BsonString("é ü € ½ ² ← ∑ © ° ´ ^ ` ¨ _ - ( ) « » ¡ ¿ 中文 ＡＢ\u00a0\u3000"))
            .append("combining", new BsonString("e\u0301 \u0903 \u20dd"))
            .append("modifier letters", new BsonString("\u02b0\u02c6\u3005\uff70"))
            .append("format", new BsonString("\u00ad\u200b\u200c\u200d\u200e\u2060\ufeff"))
            .append("separators", new BsonString("\u2028\u2029"))
            .append("astral", new BsonString("🚀𝄞👩‍💻"))
            .append("private use", new BsonString("\ue000\uf8ff"))
            .append("unassigned in Java 17 (Unicode 13)", new BsonString("\u0870\u2c2f\ua7c0\u31bb"))
            .append("ключ", new BsonString("значение"))
            .append("nonchar", new BsonString("\ufffe\uffff\ufffd"));
    }

    static String vectorsJson() {
        StringBuilder json = new StringBuilder();
        json.append("{\n");
        json.append("  \"description\": ").append(quote("Ferry's record keys: each id (canonical Extended JSON), its key, the "
            + "key's UTF-8 bytes and its partition for each partition count. Written once by Ferry's own code "
            + "(KeyTestVectorsGenerator) and frozen; see keys.md.")).append(",\n");
        json.append("  \"partitionCounts\": [");
        for (int i = 0; i < PARTITION_COUNTS.length; i++) {
            json.append(i == 0 ? "" : ", ").append(PARTITION_COUNTS[i]);
        }
        json.append("],\n  \"vectors\": [\n");
        List<Case> cases = cases();
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            String key = EntityKeys.of(c.id());
            json.append("    {\"name\": ").append(quote(c.name()))
                .append(", \"type\": ").append(quote(typeName(c.id())))
                .append(",\n     \"id\": ").append(EntityKeys.canonical(c.id()))
                .append(",\n     \"key\": ").append(quote(key))
                .append(",\n     \"keyUtf8Hex\": ").append(quote(HexFormat.of().formatHex(key.getBytes(UTF_8))))
                .append(",\n     \"partitions\": {");
            for (int p = 0; p < PARTITION_COUNTS.length; p++) {
                json.append(p == 0 ? "" : ", ").append('"').append(PARTITION_COUNTS[p]).append("\": ")
                    .append(KeyPartitioner.partitionOf(key, PARTITION_COUNTS[p]));
            }
            json.append("}}").append(i == cases.size() - 1 ? "\n" : ",\n");
        }
        json.append("  ]\n}\n");
        return json.toString();
    }

    /** The BSON type's name as the MongoDB manual's $type aliases spell it. */
    static String typeName(BsonValue id) {
        return switch (id.getBsonType()) {
            case DOUBLE -> "double";
            case STRING -> "string";
            case DOCUMENT -> "object";
            case BINARY -> "binData";
            case OBJECT_ID -> "objectId";
            case BOOLEAN -> "bool";
            case DATE_TIME -> "date";
            case NULL -> "null";
            case SYMBOL -> "symbol";
            case JAVASCRIPT -> "javascript";
            case JAVASCRIPT_WITH_SCOPE -> "javascriptWithScope";
            case INT32 -> "int";
            case TIMESTAMP -> "timestamp";
            case INT64 -> "long";
            case DECIMAL128 -> "decimal";
            case MIN_KEY -> "minKey";
            case MAX_KEY -> "maxKey";
            default -> throw new IllegalArgumentException("MongoDB refuses this type as an _id: " + id.getBsonType());
        };
    }

    /** A JSON string; characters that are invisible or ambiguous in a text editor are written as escapes. */
    static String quote(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                out.append(c).append(text.charAt(++i));
            } else if (c < 0x20 || visiblyAmbiguous(c)) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    private static boolean visiblyAmbiguous(char c) {
        return switch (Character.getType(c)) {
            case Character.CONTROL, Character.FORMAT, Character.NON_SPACING_MARK, Character.ENCLOSING_MARK,
                Character.COMBINING_SPACING_MARK, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                Character.SPACE_SEPARATOR, Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED -> c != ' ';
            default -> false;
        };
    }

    static void write(Path file) throws IOException {
        Files.writeString(file, vectorsJson(), UTF_8);
    }
}
