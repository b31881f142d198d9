package dev.ferry.embedded.mongo.internals;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.bson.Document;

/** The queries a real MongoDB answers from a unique index, answered from it here too (the rest is the matcher's). */
class NarrowingUniqueIndexTest {

    private final NarrowingUniqueIndex commits = new NarrowingUniqueIndex("aggregate_first_version",
        List.of(new IndexKey("aggregateType", true), new IndexKey("aggregateId", true),
            new IndexKey("firstVersion", true)), false);

    private static Document commit(String type, String id, long firstVersion) {
        return new Document("aggregateType", type).append("aggregateId", id).append("firstVersion", firstVersion);
    }

    @Test
    void servesAnAggregatesHistoryFromTheIndexPrefixInInsertionOrder() {
        commits.add(commit("patient", "p-1", 1), 0, null);
        commits.add(commit("patient", "p-2", 1), 1, null);
        commits.add(commit("patient", "p-1", 2), 2, null);
        commits.add(commit("practitioner", "p-1", 1), 3, null);

        Document history = new Document("aggregateType", "patient").append("aggregateId", "p-1");
        assertThat(commits.canHandle(history)).isTrue();
        assertThat(commits.getPositions(history)).containsExactly(0, 2);
        assertThat(commits.getPositions(new Document("aggregateType", "patient").append("aggregateId", "p-2")))
            .containsExactly(1);
    }

    @Test
    void normalizesNumbersAsTheIndexStoresThem() {
        NarrowingUniqueIndex byShard = new NarrowingUniqueIndex("shard_version",
            List.of(new IndexKey("shard", true), new IndexKey("version", true)), false);
        byShard.add(new Document("shard", 1).append("version", 1L), 0, null); // an Int32 stored
        byShard.add(new Document("shard", 2).append("version", 1L), 1, null);

        // asked as an Int64 or a double, as a driver may send it: the same key, as on a real server
        assertThat(byShard.getPositions(new Document("shard", 1L))).containsExactly(0);
        assertThat(byShard.getPositions(new Document("shard", 2.0))).containsExactly(1);
    }

    @Test
    void forgetsRemovedAndMovedDocuments() {
        commits.add(commit("patient", "p-1", 1), 0, null);
        commits.add(commit("patient", "p-1", 2), 1, null);
        commits.remove(commit("patient", "p-1", 1));
        commits.updateInPlace(commit("patient", "p-1", 2), commit("patient", "p-9", 2), 1, null);

        assertThat(commits.getPositions(new Document("aggregateType", "patient").append("aggregateId", "p-1"))).isEmpty();
        assertThat(commits.getPositions(new Document("aggregateType", "patient").append("aggregateId", "p-9")))
            .containsExactly(1);
    }

    @Test
    void servesEveryKeyPlusOtherConditionsByTheOneCandidate() {
        commits.add(commit("patient", "p-1", 1), 0, null);
        commits.add(commit("patient", "p-1", 2), 1, null);

        Document conditional = commit("patient", "p-1", 2).append("lastVersion", 2L);
        assertThat(commits.canHandle(conditional)).isTrue();
        assertThat(commits.getPositions(conditional)).containsExactly(1);
    }

    @Test
    void servesTheKeyInsideATopLevelAndAsTheDriversFiltersAndSendsIt() {
        NarrowingUniqueIndex ids = new NarrowingUniqueIndex("_id_", List.of(new IndexKey("_id", true)), false);
        ids.add(new Document("_id", "p-1"), 0, null);
        ids.add(new Document("_id", "p-2"), 1, null);

        Document conditionalReplace = new Document("$and", List.of(new Document("_id", "p-2"),
            new Document("_ferry.version", new Document("$lt", "0000000002"))));
        assertThat(ids.canHandle(conditionalReplace)).isTrue();
        assertThat(ids.getPositions(conditionalReplace)).containsExactly(1);
        // the tombstone ledger's conditional upsert: the operator clause is left to the matcher
        Document ledgerUpsert = new Document("$and", List.of(new Document("_id", "p-1"),
            new Document("$or", List.of(new Document("last", new Document("$exists", false)),
                new Document("last", new Document("$lt", "0000000002"))))));
        assertThat(ids.canHandle(ledgerUpsert)).as("an operator clause beside the key").isTrue();
        assertThat(ids.getPositions(ledgerUpsert)).containsExactly(0);
        assertThat(ids.canHandle(new Document("$and", List.of(new Document("$or", List.of(new Document("_id", "p-1"))),
            new Document("a", 1))))).as("the key only inside an operator clause").isFalse();
        assertThat(ids.canHandle(new Document("$and", List.of(new Document("_id", "p-1"), new Document("_id", "p-2")))))
            .as("one field twice").isFalse();
    }

    @Test
    void leavesQueriesItCannotNarrowToTheScan() {
        assertThat(commits.canHandle(new Document("aggregateType", "patient"))).isFalse();
        assertThat(commits.canHandle(new Document("aggregateType", "patient")
            .append("aggregateId", new Document("$in", List.of("p-1", "p-2"))))).isFalse();
        assertThat(commits.canHandle(new Document("aggregateType", "patient").append("aggregateId", null))).isFalse();
        assertThat(new NarrowingUniqueIndex("_id_", List.of(new IndexKey("_id", true)), false)
            .canHandle(new Document("_id", "a").append("x", 1))).isTrue();
    }
}
