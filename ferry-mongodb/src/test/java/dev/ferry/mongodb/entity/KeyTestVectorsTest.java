package dev.ferry.mongodb.entity;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.bson.BsonDocument;
import org.bson.BsonType;
import org.bson.BsonValue;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.ferry.core.partition.KeyPartitioner;

/**
 * Ferry computes every key and partition of the frozen test vectors in {@code contracts/keys.json} (which the Node
 * client's test passes too): a change to {@link EntityKeys} or {@link KeyPartitioner} that would move an id to another
 * key or partition fails here. {@code -Dferry.writeKeyVectors=true} rewrites the file from {@link KeyTestVectorsGenerator}
 * first (only to add vectors; review the diff: an existing vector must never change).
 */
class KeyTestVectorsTest {

    private static final Path VECTORS = Path.of("..", "contracts", "keys.json");

    /** Every BSON type MongoDB takes as an _id (it refuses arrays, regular expressions and undefined). */
    private static final Set<BsonType> ID_TYPES = EnumSet.of(BsonType.OBJECT_ID, BsonType.STRING, BsonType.INT32,
        BsonType.INT64, BsonType.DOUBLE, BsonType.DECIMAL128, BsonType.BOOLEAN, BsonType.DATE_TIME, BsonType.TIMESTAMP,
        BsonType.BINARY, BsonType.DOCUMENT, BsonType.MIN_KEY, BsonType.MAX_KEY, BsonType.NULL, BsonType.SYMBOL,
        BsonType.JAVASCRIPT, BsonType.JAVASCRIPT_WITH_SCOPE);

    private static BsonDocument file;

    @BeforeAll
    static void readVectors() throws IOException {
        if (Boolean.getBoolean("ferry.writeKeyVectors")) {
            KeyTestVectorsGenerator.write(VECTORS);
        }
        file = BsonDocument.parse(Files.readString(VECTORS, UTF_8));
    }

    @Test
    void everyVectorsKeyIsTheKeyFerryComputesForItsId() {
        for (BsonDocument vector : vectors()) {
            assertThat(EntityKeys.of(id(vector))).as(name(vector)).isEqualTo(vector.getString("key").getValue());
        }
    }

    @Test
    void everyVectorsKeyBytesAreItsKeyInUtf8() {
        for (BsonDocument vector : vectors()) {
            byte[] bytes = vector.getString("key").getValue().getBytes(UTF_8);
            assertThat(HexFormat.of().formatHex(bytes)).as(name(vector)).isEqualTo(vector.getString("keyUtf8Hex").getValue());
        }
    }

    @Test
    void everyVectorsPartitionsAreThoseFerryComputesForItsKey() {
        List<Integer> counts = file.getArray("partitionCounts").stream().map(count -> count.asInt32().getValue()).toList();
        for (BsonDocument vector : vectors()) {
            BsonDocument partitions = vector.getDocument("partitions");
            assertThat(partitions.keySet()).as(name(vector)).containsExactlyElementsOf(counts.stream().map(String::valueOf).toList());
            for (int count : counts) {
                assertThat(KeyPartitioner.partitionOf(vector.getString("key").getValue(), count))
                    .as(name(vector) + " of " + count).isEqualTo(partitions.getInt32(String.valueOf(count)).getValue());
            }
        }
    }

    @Test
    void theVectorsCoverEveryTypeMongoDbTakesAsAnIdAndNameItRight() {
        for (BsonDocument vector : vectors()) {
            assertThat(vector.getString("type").getValue()).as(name(vector)).isEqualTo(KeyTestVectorsGenerator.typeName(id(vector)));
        }
        Set<BsonType> covered = vectors().stream().map(vector -> id(vector).getBsonType()).collect(Collectors.toSet());
        assertThat(covered).containsExactlyInAnyOrderElementsOf(ID_TYPES);
    }

    @Test
    void everyIdIsWrittenInTheCanonicalExtendedJsonItIsReadFrom() {
        // what a reader in another language parses is exactly the value Ferry keyed (no type or field order lost)
        for (BsonDocument vector : vectors()) {
            assertThat(EntityKeys.canonical(id(vector))).as(name(vector))
                .isEqualTo(EntityKeys.canonical(BsonDocument.parse("{\"v\": " + EntityKeys.canonical(id(vector)) + "}").get("v")));
        }
    }

    private static List<BsonDocument> vectors() {
        return file.getArray("vectors").stream().map(BsonValue::asDocument).toList();
    }

    private static BsonValue id(BsonDocument vector) {
        return vector.get("id");
    }

    private static String name(BsonDocument vector) {
        return vector.getString("name").getValue();
    }
}
