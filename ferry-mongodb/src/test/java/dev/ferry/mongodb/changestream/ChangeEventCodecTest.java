package dev.ferry.mongodb.changestream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.List;

import org.bson.BsonDocument;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;
import org.bson.codecs.Codec;
import org.junit.jupiter.api.Test;

import com.mongodb.MongoClientSettings;
import com.mongodb.client.model.changestream.ChangeStreamDocument;

/** Change events decoded in one pass are what the driver's own codec decodes, field for field, whatever they hold. */
class ChangeEventCodecTest {

    private static final Codec<ChangeStreamDocument<RawBsonDocument>> DRIVER =
        ChangeStreamDocument.createCodec(RawBsonDocument.class, MongoClientSettings.getDefaultCodecRegistry());
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static final Codec<ChangeStreamDocument<RawBsonDocument>> ONE_PASS = (Codec) ChangeEventCodec.registry(
        MongoClientSettings.getDefaultCodecRegistry()).get(ChangeStreamDocument.class);

    @Test
    void everyKindOfEventIsDecodedAsTheDriverDecodesIt() {
        for (String event : List.of(
            """
            {_id: {_data: "8266F0A1B2000000012B022C0100296E5A1004"}, operationType: "insert",
             clusterTime: {$timestamp: {t: 1764670000, i: 5}}, wallTime: {$date: "2026-12-07T08:00:00.123Z"},
             fullDocument: {_id: {$oid: "6650f1a2b3c4d5e6f7a8b9c3"}, events: [{payload: {a: 1}}]},
             ns: {db: "ferry", coll: "commits"}, documentKey: {_id: {$oid: "6650f1a2b3c4d5e6f7a8b9c3"}}}""",
            """
            {_id: {_data: "82"}, operationType: "update", clusterTime: {$timestamp: {t: 1, i: 2}},
             ns: {db: "clinic", coll: "patients"}, documentKey: {_id: 5},
             updateDescription: {updatedFields: {name: "Ada"}, removedFields: ["x"], truncatedArrays: []},
             fullDocument: null, txnNumber: {$numberLong: "3"}, lsid: {id: {$binary: {base64: "AAAA", subType: "04"}}}}""",
            """
            {_id: {_data: "83"}, operationType: "delete", clusterTime: {$timestamp: {t: 1, i: 2}},
             ns: {db: "clinic", coll: "patients"}, documentKey: {_id: "p"},
             fullDocumentBeforeChange: {_id: "p", v: 1}, txnNumber: {$numberLong: "4"}, lsid: {id: 1, uid: 2}}""",
            """
            {_id: {_data: "84"}, operationType: "rename", clusterTime: {$timestamp: {t: 1, i: 2}},
             ns: {db: "a", coll: "b"}, to: {db: "a", coll: "c"}, nsType: "collection"}""",
            """
            {_id: {_data: "85"}, operationType: "invalidate", clusterTime: {$timestamp: {t: 1, i: 2}}}""",
            """
            {_id: {_data: "86"}, operationType: "insert", ns: {db: "a", coll: "b"}, documentKey: {_id: 1},
             fullDocument: {_id: 1}, collectionUUID: {$binary: {base64: "AAAA", subType: "04"}}}""",
            """
            {_id: {_data: "87"}, operationType: "insert", splitEvent: {fragment: 1, of: 2}}""",
            """
            {operationType: "insert", documentKey: {_id: 1}, wallTime: null, nsType: null}""")) {
            RawBsonDocument raw = new RawBsonDocument(BsonDocument.parse(event), new BsonDocumentCodec());
            ChangeStreamDocument<RawBsonDocument> expected = raw.decode(DRIVER);
            ChangeStreamDocument<RawBsonDocument> actual = raw.decode(ONE_PASS);
            assertThat(actual).as(event).isEqualTo(expected);
            assertThat(actual.toString()).as(event).isEqualTo(expected.toString());
        }
    }

    @Test
    void aFieldOfAnotherTypeFailsAsItFailsInTheDriver() {
        RawBsonDocument raw = new RawBsonDocument(BsonDocument.parse(
            "{operationType: \"insert\", clusterTime: 5, documentKey: {_id: 1}}"), new BsonDocumentCodec());
        assertThatThrownBy(() -> raw.decode(ONE_PASS)).hasMessage(catchThrowable(() -> raw.decode(DRIVER)).getMessage());
    }
}
