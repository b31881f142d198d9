package dev.ferry.benchmark.raw;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.bson.BsonTimestamp;
import org.junit.jupiter.api.Test;

class RawReplicaTest {

    @Test
    void aPollKeepsEachIdsLatestChangeInTheOrderOfTheLatestChanges() {
        RawChange a1 = change("a", 1);
        RawChange b2 = change("b", 2);
        RawChange a3 = change("a", 3);
        RawChange c4 = change("c", 4);

        assertThat(RawReplica.latestPerId(List.of(a1, b2, a3, c4))).containsExactly(b2, a3, c4);
    }

    @Test
    void aChangeCrossesTheBrokerWhole() {
        RawChange upsert = change("a", 7);
        RawChange delete = new RawChange("a", new BsonString("a"), RawChange.version(new BsonTimestamp(9, 1)), null, true);

        assertThat(RawChange.decode(upsert.encode())).isEqualTo(upsert);
        assertThat(RawChange.decode(delete.encode())).isEqualTo(delete);
    }

    @Test
    void versionsSortAsClusterTimes() {
        assertThat(RawChange.version(new BsonTimestamp(1_764_670_000, 9)))
            .isLessThan(RawChange.version(new BsonTimestamp(1_764_670_000, 10)))
            .isLessThan(RawChange.version(new BsonTimestamp(1_764_670_001, 1)));
    }

    private static RawChange change(String id, int n) {
        return new RawChange(id, new BsonString(id), RawChange.version(new BsonTimestamp(1_764_670_000, n)),
            new BsonDocument("_id", new BsonString(id)).append("n", new BsonInt32(n)), false);
    }
}
