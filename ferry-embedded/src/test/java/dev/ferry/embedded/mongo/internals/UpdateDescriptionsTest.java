package dev.ferry.embedded.mongo.internals;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import de.bwaldvogel.mongo.bson.Document;

class UpdateDescriptionsTest {

    private static final Document BEFORE = new Document("_id", 1).append("name", "Ada").append("version", 1)
        .append("gone", true).append("address", new Document("city", "Ghent").append("zip", "9000"))
        .append("tags", List.of("a", "b"));

    @Test
    void setIncAndUnsetReportTheirFields() {
        Document after = new Document("_id", 1).append("name", "Ada L.").append("version", 2)
            .append("address", BEFORE.get("address")).append("tags", BEFORE.get("tags"));

        Document update = new Document("$set", new Document("name", "Ada L."))
            .append("$inc", new Document("version", 1)).append("$unset", new Document("gone", ""));

        Document description = UpdateDescriptions.describe(BEFORE, after, update);

        assertThat(description.get("updatedFields")).isEqualTo(new Document("name", "Ada L.").append("version", 2));
        assertThat(description.get("removedFields")).isEqualTo(List.of("gone"));
        assertThat(description.get("truncatedArrays")).isEqualTo(List.of());
    }

    @Test
    void aDottedPathIsReportedAsThatPathAndAWholeEmbeddedDocumentAsTheDocument() {
        Document newAddress = new Document("city", "Bruges").append("zip", "9000");
        Document after = BEFORE.cloneDeeply();
        after.put("address", newAddress);

        assertThat(UpdateDescriptions.describe(BEFORE, after,
            new Document("$set", new Document("address.city", "Bruges"))).get("updatedFields"))
            .isEqualTo(new Document("address.city", "Bruges"));
        assertThat(UpdateDescriptions.describe(BEFORE, after,
            new Document("$set", new Document("address", newAddress))).get("updatedFields"))
            .isEqualTo(new Document("address", newAddress));
    }

    @Test
    void aRenameRemovesTheOldFieldAndSetsTheNew() {
        Document after = BEFORE.cloneDeeply();
        after.put("fullName", after.remove("name"));

        Document description = UpdateDescriptions.describe(BEFORE, after,
            new Document("$rename", new Document("name", "fullName")));

        assertThat(description.get("updatedFields")).isEqualTo(new Document("fullName", "Ada"));
        assertThat(description.get("removedFields")).isEqualTo(List.of("name"));
    }

    /** A known difference: a real server reports the pushed element's path, {@code tags.2}. */
    @Test
    void anArrayOperatorReportsTheWholeArray() {
        Document after = BEFORE.cloneDeeply();
        after.put("tags", List.of("a", "b", "c"));

        assertThat(UpdateDescriptions.describe(BEFORE, after, new Document("$push", new Document("tags", "c")))
            .get("updatedFields")).isEqualTo(new Document("tags", List.of("a", "b", "c")));
    }
}
