package dev.ferry.mongodb.entity;

import static org.assertj.core.api.Assertions.assertThat;

import org.bson.BsonBoolean;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonObjectId;
import org.bson.BsonString;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;

/** Each _id has one stable key; two ids with one key are rivals of each other, and only those. */
class EntityKeysTest {

    private static final ObjectId OID = new ObjectId("6650f1a2b3c4d5e6f7a8b9c0");

    @Test
    void keysAreHexForObjectIdsTheStringItselfAndCanonicalExtendedJsonOtherwise() {
        assertThat(EntityKeys.of(new BsonObjectId(OID))).isEqualTo("6650f1a2b3c4d5e6f7a8b9c0");
        assertThat(EntityKeys.of(new BsonString("p-1"))).isEqualTo("p-1");
        assertThat(EntityKeys.of(new BsonInt32(42))).isEqualTo("{\"$numberInt\": \"42\"}");
        assertThat(EntityKeys.of(new BsonInt64(42))).isEqualTo("{\"$numberLong\": \"42\"}");
        assertThat(EntityKeys.of(BsonDocument.parse("{a: 1, b: 'x'}")))
            .isEqualTo("{\"a\": {\"$numberInt\": \"1\"}, \"b\": \"x\"}");
    }

    @Test
    void anObjectIdAndTheStringOfItsHexAreRivals() {
        assertThat(EntityKeys.rival(new BsonObjectId(OID))).contains(new BsonString(OID.toHexString()));
        assertThat(EntityKeys.rival(new BsonString(OID.toHexString()))).contains(new BsonObjectId(OID));
    }

    @Test
    void aStringThatIsAnotherValuesExtendedJsonIsItsRival() {
        assertThat(EntityKeys.rival(new BsonInt32(42))).contains(new BsonString("{\"$numberInt\": \"42\"}"));
        assertThat(EntityKeys.rival(new BsonString("{\"$numberInt\": \"42\"}"))).contains(new BsonInt32(42));
        assertThat(EntityKeys.rival(new BsonString("true"))).contains(BsonBoolean.TRUE);
    }

    @Test
    void ordinaryStringsHaveNoRival() {
        assertThat(EntityKeys.rival(new BsonString("p-1"))).isEmpty();
        assertThat(EntityKeys.rival(new BsonString("42"))).isEmpty(); // 42 reads as an int, whose key differs
        assertThat(EntityKeys.rival(new BsonString("6650F1A2B3C4D5E6F7A8B9C0"))).isEmpty(); // no ObjectId's hex is upper
        assertThat(EntityKeys.rival(new BsonString("{not json"))).isEmpty();
    }
}
