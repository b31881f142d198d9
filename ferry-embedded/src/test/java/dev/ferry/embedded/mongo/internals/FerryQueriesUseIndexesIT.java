package dev.ferry.embedded.mongo.internals;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

import org.bson.BsonDateTime;
import org.bson.BsonDocument;
import org.bson.BsonInt64;
import org.bson.BsonString;
import org.bson.BsonType;
import org.bson.BsonValue;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoCursor;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.PushOptions;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;


/**
 * Ferry's own bulk queries, sent by the official Java driver exactly as ferry-mongodb builds them, are answered from
 * an index: each examines about the documents it returns, not the 20,000 in its collection (counted by the
 * collection, so the proof needs no timing). The filters mirror MongoSourceCopy (a copy's keyset read),
 * MongoReplicaWriter.purgeTombstones and TombstoneLedger; ferry-embedded cannot depend on ferry-mongodb.
 */
class FerryQueriesUseIndexesIT {

    private static final int DOCUMENTS = 20_000;
    private static final int PAGE = 1_000;
    /** MongoSourceCopy's order of the types after a string (its after(): a later type is after any string). */
    private static final List<BsonType> AFTER_STRING = List.of(BsonType.DOCUMENT, BsonType.ARRAY, BsonType.BINARY,
        BsonType.OBJECT_ID, BsonType.BOOLEAN, BsonType.DATE_TIME, BsonType.TIMESTAMP, BsonType.REGULAR_EXPRESSION);
    private static final List<BsonType> AFTER_NUMBER = List.of(BsonType.STRING, BsonType.DOCUMENT, BsonType.ARRAY,
        BsonType.BINARY, BsonType.OBJECT_ID, BsonType.BOOLEAN, BsonType.DATE_TIME, BsonType.TIMESTAMP,
        BsonType.REGULAR_EXPRESSION);

    private BoundedOplogBackend backend;
    private WireServer server;
    private MongoClient client;

    @BeforeEach
    void start() {
        server = new WireServer(new InetSocketAddress("127.0.0.1", 0), 1_000, Set.of("ferry_leases"));
        backend = server.backend();
        client = MongoClients.create(server.connectionString());
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    @Test
    void theTombstonePurgeExaminesOnlyTheTombstonesDue() {
        MongoCollection<BsonDocument> replica = client.getDatabase("ferry").getCollection("patients", BsonDocument.class);
        // MongoReplicaWriter's index, made on first use
        replica.createIndex(Indexes.ascending("_ferry.deletedAt"), new IndexOptions().sparse(true).name("ferry_tombstones"));
        Instant now = Instant.parse("2026-12-07T00:00:00Z");
        insert(replica, i -> {
            BsonDocument ferry = new BsonDocument("version", new BsonString(String.format("%010d", i)));
            if (i % 20 == 0) { // 1,000 tombstones, 600 of them past the retention
                ferry.append("deletedAt", new BsonDateTime(now.minusSeconds(i / 20 % 10 < 6 ? 7200 : 60).toEpochMilli()));
            }
            return new BsonDocument("_id", new BsonString(key(i))).append("_ferry", ferry);
        });

        long examined = examined("ferry", "patients");
        long purged = replica.deleteMany(Filters.lt("_ferry.deletedAt",
            new BsonDateTime(now.minusSeconds(3600).toEpochMilli()))).getDeletedCount();

        assertThat(purged).isEqualTo(600);
        assertThat(examined("ferry", "patients") - examined).isEqualTo(600);
    }

    @Test
    void aCopyReadsEachPageOfAnIdOrderedCollectionByExaminingAboutAPage() {
        MongoCollection<BsonDocument> source = client.getDatabase("app").getCollection("orders", BsonDocument.class);
        insert(source, i -> new BsonDocument("_id", new BsonString(key(i))).append("n", new BsonInt64(i)));

        // a copy's first read: everything, in _id order, a page per batch
        long before = examined("app", "orders");
        try (MongoCursor<BsonDocument> read = source.find(new Document()).sort(Sorts.ascending("_id"))
            .batchSize(PAGE).cursor()) {
            assertThat(read.next().getString("_id").getValue()).isEqualTo(key(0));
            assertThat(examined("app", "orders") - before).isBetween((long) PAGE, PAGE + 1L);
            long firstBatch = examined("app", "orders");
            for (int i = 1; i <= PAGE; i++) { // the page's rest, then the next page's first: one getMore
                read.next();
            }
            assertThat(examined("app", "orders") - firstBatch).isBetween((long) PAGE, PAGE + 1L);
        }

        // a new term resumes half-way: MongoSourceCopy's after([_id], position), sorted by _id, no limit
        String position = key(DOCUMENTS / 2);
        Bson after = Filters.or(List.of(after("_id", new BsonString(position), AFTER_STRING)));
        before = examined("app", "orders");
        List<BsonDocument> page = new ArrayList<>();
        try (MongoCursor<BsonDocument> read = source.find(after).sort(Sorts.ascending("_id")).batchSize(PAGE).cursor()) {
            while (page.size() < PAGE && read.hasNext()) {
                page.add(read.next());
            }
            assertThat(examined("app", "orders") - before).isBetween((long) PAGE, PAGE + 1L);
        }
        assertThat(page.get(0).getString("_id").getValue()).isEqualTo(key(DOCUMENTS / 2 + 1));
        assertThat(page.get(PAGE - 1).getString("_id").getValue()).isEqualTo(key(DOCUMENTS / 2 + PAGE));

        // the same page asked with a limit
        before = examined("app", "orders");
        assertThat(source.find(after).sort(Sorts.ascending("_id")).limit(PAGE).into(new ArrayList<>())).hasSize(PAGE);
        assertThat(examined("app", "orders") - before).isEqualTo(PAGE);
    }

    @Test
    void aCopyOfFerrysCommitStoreReadsAPageByItsUniqueIndex() {
        MongoCollection<BsonDocument> commits = client.getDatabase("store").getCollection("commits", BsonDocument.class);
        // MongoEventStore.createIndexes
        commits.createIndex(Indexes.ascending("aggregateType", "aggregateId", "firstVersion"),
            new IndexOptions().unique(true).name("aggregate_first_version"));
        commits.createIndex(Indexes.ascending("aggregateType", "aggregateId", "lastVersion"),
            new IndexOptions().unique(true).name("aggregate_last_version"));
        insert(commits, i -> new BsonDocument("aggregateType", new BsonString(i % 2 == 0 ? "patient" : "practitioner"))
            .append("aggregateId", new BsonString(key(i / 20))).append("firstVersion", new BsonInt64(i % 20 + 1))
            .append("lastVersion", new BsonInt64(i % 20 + 1)));

        // KeysetFilters.after (a copy's page) over [aggregateType, aggregateId, firstVersion] (unique: no _id), mid-way
        BsonString type = new BsonString("patient");
        BsonString id = new BsonString(key(DOCUMENTS / 40)); // mid-way through the patients
        BsonInt64 version = new BsonInt64(7);
        Bson after = Filters.or(List.of(
            after("aggregateType", type, AFTER_STRING),
            Filters.and(Filters.eq("aggregateType", type), after("aggregateId", id, AFTER_STRING)),
            Filters.and(Filters.eq("aggregateType", type), Filters.eq("aggregateId", id),
                after("firstVersion", version, AFTER_NUMBER))));
        long before = examined("store", "commits");
        List<BsonDocument> page = new ArrayList<>();
        try (MongoCursor<BsonDocument> read = commits.find(after)
            .sort(Sorts.ascending("aggregateType", "aggregateId", "firstVersion")).batchSize(PAGE).cursor()) {
            while (page.size() < PAGE && read.hasNext()) {
                page.add(read.next());
            }
            assertThat(examined("store", "commits") - before).isBetween((long) PAGE, PAGE + 1L);
        }
        assertThat(page.get(0)).containsEntry("aggregateId", id).containsEntry("firstVersion", new BsonInt64(9));
    }

    @Test
    void theTombstoneLedgerFindsAndRecordsEachKeyByItsId() {
        MongoCollection<BsonDocument> ledger = client.getDatabase("ferry").getCollection("ferry_tombstones",
            BsonDocument.class);
        insert(ledger, i -> new BsonDocument("_id", new BsonString("source/" + key(i)))
            .append("last", new BsonString(String.format("%020d", i))));

        // TombstoneLedger.load: one query by _id for a batch's keys
        List<String> ids = IntStream.range(0, 100).mapToObj(i -> "source/" + key(i * 7)).toList();
        long before = examined("ferry", "ferry_tombstones");
        assertThat(ledger.find(Filters.in("_id", ids)).into(new ArrayList<>())).hasSize(100);
        assertThat(examined("ferry", "ferry_tombstones") - before).isEqualTo(100);

        // TombstoneLedger.record: conditional upserts, one per delete
        List<UpdateOneModel<BsonDocument>> writes = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            String position = String.format("%020d", DOCUMENTS + i);
            writes.add(new UpdateOneModel<>(
                Filters.and(Filters.eq("_id", "source/" + key(i * 13)), Filters.or(Filters.exists("last", false),
                    Filters.lt("last", position))),
                Updates.combine(Updates.set("last", position), Updates.pushEach("tombstones",
                    List.of(new BsonDocument("position", new BsonString(position))), new PushOptions().slice(-16))),
                new UpdateOptions().upsert(true)));
        }
        before = examined("ferry", "ferry_tombstones");
        assertThat(ledger.bulkWrite(writes, new BulkWriteOptions().ordered(true)).getModifiedCount()).isEqualTo(100);
        // each write finds its document by _id; the oplog then reads the updated document back by _id
        assertThat(examined("ferry", "ferry_tombstones") - before).isEqualTo(2 * 100);
    }

    /** KeysetFilters.after(field, value) (ferry-mongodb): greater within the type, or of a type that sorts after it. */
    private static Bson after(String field, BsonValue value, List<BsonType> later) {
        return Filters.or(Filters.gt(field, value),
            new Document(field, new Document("$type", later.stream().map(BsonType::getValue).toList())));
    }

    private static String key(int i) {
        return String.format("k-%07d", i);
    }

    private static void insert(MongoCollection<BsonDocument> collection,
                               java.util.function.IntFunction<BsonDocument> document) {
        for (int from = 0; from < DOCUMENTS; from += 10_000) {
            collection.insertMany(IntStream.range(from, from + 10_000).mapToObj(document).toList());
        }
    }

    private long examined(String database, String collection) {
        return ((ObservedMemoryCollection) backend.resolveDatabase(database).resolveCollection(collection, true))
            .examined();
    }

}
