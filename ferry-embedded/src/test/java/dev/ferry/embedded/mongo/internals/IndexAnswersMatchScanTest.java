package dev.ferry.embedded.mongo.internals;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * Every query an ordered index answers returns exactly what the full scan returns — the same documents in the same
 * order (nulls, missing fields, mixed types, ties, sparse indexes), after inserts, deletes and updates that move
 * keys: one collection with the indexes and one without take the same writes and are asked the same queries.
 */
class IndexAnswersMatchScanTest {

    private static final String DB = "db";
    private final BoundedOplogBackend backend = new BoundedOplogBackend(10_000, BoundedOplog.Reads.INLINE);
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final Random random = new Random(30);
    private int examinedBefore;

    @AfterEach
    void close() {
        channel.close();
        backend.close();
    }

    @Test
    void rangesAndSortsFromIndexesAnswerAsTheScan() {
        command("createIndexes", "indexed", "indexes", List.of(
            new Document("key", new Document("a", 1)).append("name", "a"),
            new Document("key", new Document("a", 1).append("b", -1)).append("name", "a_b"),
            new Document("key", new Document("t.at", 1)).append("name", "t_at").append("sparse", true)));
        command("create", "scanned");
        for (int round = 0; round < 6; round++) {
            List<Document> inserts = new ArrayList<>();
            for (int i = 0; i < 150; i++) {
                inserts.add(document());
            }
            for (String collection : List.of("indexed", "scanned")) {
                command("insert", collection, "documents", inserts.stream().map(Document::cloneDeeply).toList());
            }
            Document update = new Document("$set", new Document("a", value()).append("t", new Document("at", value())));
            Document selector = new Document("b", new Document("$lt", random.nextInt(20)));
            Document delete = new Document("a", new Document("$gte", value()));
            for (String collection : List.of("indexed", "scanned")) {
                command("update", collection, "updates", List.of(new Document("q", selector).append("u", update)
                    .append("multi", true)));
                command("delete", collection, "deletes", List.of(new Document("q", delete).append("limit", 0)));
            }
            for (int q = 0; q < 60; q++) {
                Document filter = filter();
                Document sort = sort();
                int limit = random.nextInt(4) == 0 ? 0 : random.nextInt(30) + 1;
                int skip = random.nextInt(3) == 0 ? random.nextInt(10) : 0;
                int batchSize = random.nextInt(3) == 0 ? 0 : random.nextInt(20) + 1;
                assertThat(find("indexed", filter, sort, skip, limit, batchSize))
                    .as("%s sorted by %s, skip %d, limit %d, batch %d", filter, sort, skip, limit, batchSize)
                    .isEqualTo(find("scanned", filter, sort, skip, limit, batchSize));
            }
        }
    }

    @Test
    void idRangesAnswerFromTheIdIndexInOrder() {
        command("create", "ids");
        List<Document> documents = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            documents.add(new Document("_id", i % 3 == 0 ? (Object) ("k" + i) : i % 3 == 1 ? (Object) i
                : new ObjectId()).append("n", i));
        }
        command("insert", "ids", "documents", documents);
        command("create", "idsScanned");
        // the same documents where _id is a plain field, so its queries scan
        command("insert", "idsScanned", "documents", documents.stream()
            .map(d -> new Document("key", d.get("_id")).append("n", d.get("n"))).toList());
        List<Object> ids = documents.stream().map(d -> d.get("_id")).toList();
        for (int q = 0; q < 100; q++) {
            Object from = ids.get(random.nextInt(ids.size()));
            String op = random.nextBoolean() ? "$gt" : "$lte";
            int limit = random.nextInt(50) + 1;
            int direction = random.nextBoolean() ? 1 : -1;
            List<Object> fromIndex = find("ids", new Document("_id", new Document(op, from)),
                new Document("_id", direction), 0, limit, 0).stream().map(d -> d.get("n")).toList();
            List<Object> fromScan = find("idsScanned", new Document("key", new Document(op, from)),
                new Document("key", direction), 0, limit, 0).stream().map(d -> d.get("n")).toList();
            assertThat(fromIndex).as("%s %s, sorted %d, limit %d", op, from, direction, limit).isEqualTo(fromScan);
        }
    }

    @Test
    void aReadWithoutALimitReadsOnFromTheIndexSeeingWritesAheadOfIt() {
        command("create", "pages");
        command("insert", "pages", "documents", IntStream.range(0, 100).mapToObj(i -> new Document("_id", i)).toList());
        Document cursor = (Document) backend.handleCommand(channel, DB, "find", new Document("find", "pages")
            .append("filter", new Document("_id", new Document("$gte", 0))).append("sort", new Document("_id", 1))
            .append("batchSize", 10)).get("cursor");
        assertThat(documents(cursor.get("firstBatch"))).extracting(d -> d.get("_id"))
            .containsExactlyElementsOf(IntStream.range(0, 10).boxed().toList());

        // between batches: a not yet read document goes, one arrives ahead of the read, one behind it
        command("delete", "pages", "deletes", List.of(new Document("q", new Document("_id", 10)).append("limit", 1)));
        command("insert", "pages", "documents", List.of(new Document("_id", 100), new Document("_id", -1)));
        Document more = (Document) backend.handleCommand(channel, DB, "getMore", new Document("getMore", cursor.get("id"))
            .append("collection", "pages").append("batchSize", 1000)).get("cursor");

        assertThat(documents(more.get("nextBatch"))).extracting(d -> d.get("_id"))
            .containsExactlyElementsOf(IntStream.rangeClosed(11, 100).boxed().toList());
        assertThat(more.get("id")).isEqualTo(0L);
    }

    private Document document() {
        Document document = new Document("b", random.nextInt(20));
        if (random.nextInt(5) > 0) {
            document.append("a", value());
        }
        if (random.nextInt(3) == 0) {
            document.append("t", new Document("at", value()));
        }
        return document;
    }

    /** A few values of mixed types, many of them shared, so ties and type brackets are common. */
    private Object value() {
        return switch (random.nextInt(8)) {
            case 0 -> null;
            case 1 -> random.nextInt(10);
            case 2 -> (long) random.nextInt(10);
            case 3 -> random.nextInt(10) + 0.5;
            case 4 -> "s" + random.nextInt(10);
            case 5 -> Instant.ofEpochMilli(random.nextInt(10));
            case 6 -> random.nextBoolean();
            default -> random.nextInt(10);
        };
    }

    private Document filter() {
        List<Supplier<Document>> kinds = List.of(
            () -> new Document(),
            () -> new Document("a", value()),
            () -> new Document("a", new Document(op(), value())),
            () -> new Document("a", new Document(op(), value()).append(op(), value())),
            () -> new Document("a", value()).append("b", new Document(op(), random.nextInt(20))),
            () -> new Document("t.at", new Document(op(), value())),
            () -> new Document("$or", List.of(new Document("a", new Document("$gt", value())),
                new Document("a", new Document("$type", types())))),
            () -> new Document("t.at", new Document("$type", types())),
            () -> new Document("$or", List.of(new Document("a", new Document(op(), value())),
                new Document("$and", List.of(new Document("a", value()), new Document("b", new Document(op(),
                    random.nextInt(20))))))),
            () -> new Document("$and", List.of(new Document("a", new Document(op(), value())),
                new Document("$or", List.of(new Document("b", random.nextInt(20)), new Document("b",
                    new Document("$exists", false)))))));
        return kinds.get(random.nextInt(kinds.size())).get();
    }

    /** A few BSON type codes, as a copy's keyset page lists the types after its position's. */
    private List<Integer> types() {
        List<Integer> codes = new ArrayList<>(List.of(1, 2, 3, 4, 8, 9, 10, 11, 16, 17, 18));
        java.util.Collections.shuffle(codes, random);
        return codes.subList(0, random.nextInt(4) + 1);
    }

    private String op() {
        return List.of("$gt", "$gte", "$lt", "$lte", "$eq").get(random.nextInt(5));
    }

    private Document sort() {
        return switch (random.nextInt(6)) {
            case 0 -> null;
            case 1 -> new Document("a", 1);
            case 2 -> new Document("a", -1);
            case 3 -> new Document("a", 1).append("b", -1);
            case 4 -> new Document("a", -1).append("b", 1);
            default -> new Document("t.at", 1);
        };
    }

    /** The documents of a find, reading every batch; without {@code _id}, which differs between the collections. */
    private List<Document> find(String collection, Document filter, Document sort, int skip, int limit, int batchSize) {
        Document find = new Document("find", collection).append("filter", filter);
        if (sort != null) {
            find.append("sort", sort);
        }
        if (skip > 0) {
            find.append("skip", skip);
        }
        if (limit > 0) {
            find.append("limit", limit);
        }
        if (batchSize > 0) {
            find.append("batchSize", batchSize);
        }
        Document cursor = (Document) backend.handleCommand(channel, DB, "find", find).get("cursor");
        List<Document> documents = new ArrayList<>(documents(cursor.get("firstBatch")));
        long id = ((Number) cursor.get("id")).longValue();
        while (id != 0) {
            Document more = (Document) backend.handleCommand(channel, DB, "getMore", new Document("getMore", id)
                .append("collection", collection).append("batchSize", Math.max(batchSize, 1))).get("cursor");
            documents.addAll(documents(more.get("nextBatch")));
            id = ((Number) more.get("id")).longValue();
        }
        return documents.stream().map(d -> {
            Document copy = d.cloneDeeply();
            copy.remove("_id");
            return copy;
        }).toList();
    }

    @SuppressWarnings("unchecked")
    private static List<Document> documents(Object batch) {
        return (List<Document>) batch;
    }

    private Document command(String command, String collection, Object... fields) {
        Document query = new Document(command, collection);
        for (int i = 0; i < fields.length; i += 2) {
            query.append((String) fields[i], fields[i + 1]);
        }
        Document reply = backend.handleCommand(channel, DB, command, query);
        assertThat(reply.get("ok")).as("%s: %s", query, reply).isEqualTo(1.0);
        return reply;
    }
}
