package dev.ferry.benchmark.raw;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.bson.BsonDocument;
import org.bson.Document;
import org.bson.codecs.configuration.CodecRegistry;
import org.junit.jupiter.api.Test;

import com.mongodb.MongoClientSettings;
import com.mongodb.client.model.UpdateOneModel;

class FoldedPollTest {

    private static final CodecRegistry CODECS = MongoClientSettings.getDefaultCodecRegistry();

    @Test
    void eachKeysRecordsOfAPollBecomeOneUpsertWithTheLastPadAndTheirCount() {
        FoldedPoll poll = new FoldedPoll();
        poll.add("agg-1", "a");
        poll.add("agg-2", "b");
        poll.add("agg-1", "c");
        poll.add("agg-1", "d");

        List<UpdateOneModel<Document>> writes = poll.writes();

        assertThat(poll.records()).isEqualTo(4);
        assertThat(writes).hasSize(2);
        assertThat(filter(writes.get(0))).isEqualTo(BsonDocument.parse("{_id: 'agg-1'}"));
        assertThat(update(writes.get(0))).isEqualTo(BsonDocument.parse("{$set: {'state.pad': 'd'}, $inc: {_version: 3}}"));
        assertThat(writes.get(0).getOptions().isUpsert()).isTrue();
        assertThat(filter(writes.get(1))).isEqualTo(BsonDocument.parse("{_id: 'agg-2'}"));
        assertThat(update(writes.get(1))).isEqualTo(BsonDocument.parse("{$set: {'state.pad': 'b'}, $inc: {_version: 1}}"));
    }

    @Test
    void aPollOfDistinctKeysIsOneUpsertPerRecord() {
        FoldedPoll poll = new FoldedPoll();
        for (int i = 0; i < 5; i++) {
            poll.add("agg-" + i, "x");
        }

        assertThat(poll.writes()).hasSize(5);
    }

    private static BsonDocument filter(UpdateOneModel<Document> write) {
        return write.getFilter().toBsonDocument(BsonDocument.class, CODECS);
    }

    private static BsonDocument update(UpdateOneModel<Document> write) {
        return write.getUpdate().toBsonDocument(BsonDocument.class, CODECS);
    }
}
