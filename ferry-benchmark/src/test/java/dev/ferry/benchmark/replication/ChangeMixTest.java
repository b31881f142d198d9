package dev.ferry.benchmark.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bson.Document;
import org.junit.jupiter.api.Test;

import com.mongodb.client.model.DeleteOneModel;
import com.mongodb.client.model.InsertOneModel;
import com.mongodb.client.model.ReplaceOneModel;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.WriteModel;

class ChangeMixTest {

    @Test
    void thePlanHoldsExactlyTheChangesAskedEachIdsInOrderAndNoIdEndsDeleted() {
        for (int changes : new int[] {100, 301, 1_000, 4_507}) {
            Map<String, List<String>> byId = new LinkedHashMap<>();
            int total = 0;
            for (List<WriteModel<Document>> bulk : ChangeMix.plan(0, "c-", changes)) {
                for (WriteModel<Document> write : bulk) {
                    byId.computeIfAbsent(id(write), key -> new ArrayList<>()).add(kind(write));
                    total++;
                }
            }
            assertThat(total).as("changes %d", changes).isEqualTo(changes);
            List<String> whole = List.of("insert", "update", "update", "replace", "delete", "insert");
            long recreated = 0;
            for (List<String> sequence : byId.values()) {
                assertThat(whole.subList(0, sequence.size())).isEqualTo(sequence);
                assertThat(sequence.get(sequence.size() - 1)).isNotEqualTo("delete");
                recreated += sequence.size() == 6 ? 1 : 0;
            }
            // Every fourth id is re-created, but the last one, which may be shortened to reach the count.
            assertThat(recreated).as("changes %d", changes).isBetween(byId.size() / ChangeMix.RECREATE_EVERY - 1L,
                (long) byId.size() / ChangeMix.RECREATE_EVERY);
        }
    }

    private static String kind(WriteModel<Document> write) {
        if (write instanceof InsertOneModel) {
            return "insert";
        }
        if (write instanceof UpdateOneModel) {
            return "update";
        }
        if (write instanceof ReplaceOneModel) {
            return "replace";
        }
        if (write instanceof DeleteOneModel) {
            return "delete";
        }
        throw new IllegalArgumentException(write.toString());
    }

    private static String id(WriteModel<Document> write) {
        if (write instanceof InsertOneModel<Document> insert) {
            return insert.getDocument().getString("_id");
        }
        String filter = write instanceof UpdateOneModel<Document> update ? update.getFilter().toString()
            : write instanceof ReplaceOneModel<Document> replace ? replace.getFilter().toString()
            : ((DeleteOneModel<Document>) write).getFilter().toString();
        return filter.replaceAll(".*value=([^}]+)}.*", "$1");
    }
}
