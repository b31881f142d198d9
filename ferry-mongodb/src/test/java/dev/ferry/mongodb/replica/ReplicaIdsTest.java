package dev.ferry.mongodb.replica;

import static org.assertj.core.api.Assertions.assertThat;

import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonObjectId;
import org.bson.BsonString;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;

/** A change's key and its replica's _id read each other back, by the key rule of entity changes. */
class ReplicaIdsTest {

    @Test
    void anObjectIdIsItsHexAndAHexKeyMayAlsoBeAString() {
        ObjectId id = new ObjectId();

        assertThat(ReplicaIds.key(new BsonObjectId(id))).isEqualTo(id.toHexString());
        assertThat(ReplicaIds.candidates(id.toHexString())).containsExactly(new BsonObjectId(id), new BsonString(id.toHexString()));
    }

    @Test
    void aStringIsItself() {
        assertThat(ReplicaIds.key(new BsonString("patient-7"))).isEqualTo("patient-7");
        assertThat(ReplicaIds.candidates("patient-7")).containsExactly(new BsonString("patient-7"));
        assertThat(ReplicaIds.candidates("{not json")).containsExactly(new BsonString("{not json"));
    }

    @Test
    void anythingElseIsCanonicalExtendedJsonReadBackWithItsType() {
        assertThat(ReplicaIds.key(new BsonInt64(42))).isEqualTo("{\"$numberLong\": \"42\"}");
        assertThat(ReplicaIds.candidates("{\"$numberLong\": \"42\"}").get(0)).isEqualTo(new BsonInt64(42));
        assertThat(ReplicaIds.candidates("{\"$numberInt\":\"42\"}").get(0)).isEqualTo(new BsonInt32(42));
        BsonDocument compound = new BsonDocument("a", new BsonInt32(1));
        assertThat(ReplicaIds.candidates(ReplicaIds.key(compound)).get(0)).isEqualTo(compound);
    }
}
