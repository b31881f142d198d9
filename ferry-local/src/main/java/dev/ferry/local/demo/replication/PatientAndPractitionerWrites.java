package dev.ferry.local.demo.replication;

import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.Updates;

/**
 * The demo's source load: concurrent writers on the {@code patient} and {@code practitioner} collections, each owning
 * its ids, doing creates, field updates, replaces, deletes and re-creates of the same ids at a shared rate until the
 * given number of changes is made. Every written state carries {@code updatedAt} (the time of the write, to the
 * millisecond), which is how the demo measures the latency to the replicas.
 */
final class PatientAndPractitionerWrites {

    static final List<String> ENTITIES = List.of("patient", "practitioner");
    static final String WRITTEN_AT = "updatedAt";

    private static final String[] GIVEN = {"Ada", "Jonas", "Mira", "Tomas", "Lea", "Noah", "Elif", "Pavel", "Sara", "Ivo"};
    private static final String[] FAMILY = {"Novak", "Berg", "Silva", "Okafor", "Hansen", "Moreau", "Kowalski", "Tan"};
    private static final String[] QUALIFICATIONS = {"MD", "RN", "PharmD", "DO", "NP"};
    private static final String[] CITIES = {"Lyon", "Porto", "Bergen", "Gdansk", "Ghent"};

    private final MongoDatabase source;
    private final int writersPerEntity;
    private final int idsPerWriter;
    private final long changes;
    private final long writerIntervalNanos;
    private final AtomicLong made = new AtomicLong();
    private final CountDownLatch finished;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stopped;
    private volatile RuntimeException failure;
    private long startedNanos;

    /**
     * @param changes       document changes to make in all (a write touching two documents makes two)
     * @param ratePerSecond changes per second, over all writers
     */
    PatientAndPractitionerWrites(MongoDatabase source, int writersPerEntity, int idsPerWriter, long changes,
                                 int ratePerSecond) {
        this.source = source;
        this.writersPerEntity = writersPerEntity;
        this.idsPerWriter = idsPerWriter;
        this.changes = changes;
        this.writerIntervalNanos = TimeUnit.SECONDS.toNanos(1) * ENTITIES.size() * writersPerEntity / ratePerSecond;
        this.finished = new CountDownLatch(ENTITIES.size() * writersPerEntity);
    }

    void start() {
        startedNanos = System.nanoTime();
        for (String entity : ENTITIES) {
            for (int w = 0; w < writersPerEntity; w++) {
                Writer writer = new Writer(source.getCollection(entity), entity, w);
                Thread thread = new Thread(writer::run, "demo-writer-" + entity + "-" + w);
                thread.setDaemon(true);
                threads.add(thread);
                thread.start();
            }
        }
    }

    /** True once every writer is done; throws what stopped a writer, if one failed. */
    boolean awaitDone(long timeout, TimeUnit unit) throws InterruptedException {
        boolean done = finished.await(timeout, unit);
        if (failure != null) {
            throw new IllegalStateException("a writer of the source failed: " + failure.getMessage(), failure);
        }
        return done;
    }

    void stop() {
        stopped = true;
    }

    /** Document changes made so far. */
    long made() {
        return made.get();
    }

    double achievedPerSecond() {
        double seconds = (System.nanoTime() - startedNanos) / 1e9;
        return seconds <= 0 ? 0 : made.get() / seconds;
    }

    /** One writer: its own ids (so it knows whether each exists), paced to its share of the rate. */
    private final class Writer {

        private final MongoCollection<Document> collection;
        private final String entity;
        private final Random random;
        private final List<Object> ids = new ArrayList<>();
        private final Map<Object, Boolean> exists = new HashMap<>();

        Writer(MongoCollection<Document> collection, String entity, int index) {
            this.collection = collection;
            this.entity = entity;
            this.random = new Random(entity.hashCode() * 31L + index);
            for (int i = 0; i < idsPerWriter; i++) {
                // every key form the replicas must keep apart: ObjectId, string and Int64 ids
                Object id = switch (i % 3) {
                    case 0 -> new ObjectId();
                    case 1 -> entity + "-" + index + "-" + i;
                    default -> (long) index * 1_000_000 + i;
                };
                ids.add(id);
                exists.put(id, false);
            }
        }

        void run() {
            try {
                long next = System.nanoTime();
                while (!stopped && made.get() < changes) {
                    Object id = ids.get(random.nextInt(ids.size()));
                    made.addAndGet(exists.get(id) ? change(id) : create(id));
                    next += writerIntervalNanos;
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                }
            } catch (RuntimeException e) {
                failure = e;
            } finally {
                finished.countDown();
            }
        }

        private int create(Object id) {
            collection.insertOne(document(id));
            exists.put(id, true);
            return 1;
        }

        /** @return the document changes made */
        private int change(Object id) {
            Bson byId = Filters.eq("_id", id);
            switch (random.nextInt(10)) {
                case 0, 1, 2 -> collection.updateOne(byId, fieldUpdate());
                case 3 -> collection.findOneAndUpdate(byId, fieldUpdate());
                case 4 -> collection.replaceOne(byId, document(id));
                case 5 -> {
                    collection.bulkWrite(List.of(new UpdateOneModel<>(byId, fieldUpdate()),
                        new UpdateOneModel<>(byId, fieldUpdate())));
                    return 2;
                }
                case 6, 7 -> {
                    collection.deleteOne(byId);
                    exists.put(id, false);
                }
                default -> {
                    collection.findOneAndDelete(byId);
                    exists.put(id, false);
                }
            }
            return 1;
        }

        private Bson fieldUpdate() {
            String counter = entity.equals("patient") ? "visits" : "patientsSeen";
            return Updates.combine(Updates.inc(counter, 1L), Updates.set(WRITTEN_AT, new Date()),
                Updates.set("address.city", CITIES[random.nextInt(CITIES.length)]));
        }

        private Document document(Object id) {
            Document name = new Document("given", GIVEN[random.nextInt(GIVEN.length)])
                .append("family", FAMILY[random.nextInt(FAMILY.length)]);
            Document document = new Document("_id", id).append("name", name)
                .append("address", new Document("city", CITIES[random.nextInt(CITIES.length)])
                    .append("postalCode", String.format("%05d", random.nextInt(100_000))));
            if (entity.equals("patient")) {
                document.append("birthDate", new Date(-631_152_000_000L + random.nextLong(2_500_000_000_000L)))
                    .append("visits", (long) random.nextInt(50))
                    .append("balance", Decimal128.parse(random.nextInt(100_000) + ".25"))
                    .append("allergies", random.nextBoolean() ? List.of("penicillin") : List.of());
            } else {
                document.append("qualification", QUALIFICATIONS[random.nextInt(QUALIFICATIONS.length)])
                    .append("licence", "L-" + random.nextInt(1_000_000))
                    .append("patientsSeen", (long) random.nextInt(5_000))
                    .append("active", random.nextBoolean());
            }
            return document.append(WRITTEN_AT, new Date());
        }
    }
}
