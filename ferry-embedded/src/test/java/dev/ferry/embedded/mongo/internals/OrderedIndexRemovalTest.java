package dev.ferry.embedded.mongo.internals;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.bson.Document;

/**
 * Removing documents that share a key (a purge's tombstones, all deleted at one instant) finds each one's position
 * without looking at the others: a bulk delete removes them in index order, so each is the first of its key. Looking
 * at every document of the key for each removal made a purge of 100,000 such tombstones quadratic (minutes on the
 * embedded server's one main lane, where everything else waited).
 */
class OrderedIndexRemovalTest {

    private static final int DOCUMENTS = 10_000;

    @Test
    void removingDocumentsThatShareAKeyInIndexOrderLooksAtOneCandidateEach() {
        Instant deletedAt = Instant.parse("2026-12-07T00:00:00Z");
        List<Document> stored = new ArrayList<>();
        AtomicInteger looked = new AtomicInteger();
        OrderedIndex index = new OrderedIndex("ferry_tombstones", List.of(new IndexKey("deletedAt", true)), true,
            position -> {
                looked.incrementAndGet();
                return stored.get(position);
            });
        for (int i = 0; i < DOCUMENTS; i++) {
            Document document = new Document("_id", i).append("deletedAt", deletedAt);
            stored.add(document);
            index.add(document, i, null);
        }

        for (int i = 0; i < DOCUMENTS; i++) {
            assertThat(index.remove(stored.get(i))).isEqualTo(i);
        }

        assertThat(looked).hasValue(DOCUMENTS);
        assertThat(index.getCount()).isZero();
    }
}
