package dev.ferry.embedded.mongo.internals;

import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * What the embedded server's insert path costs per document, measured on the server side only: bytes allocated and
 * CPU time of the worker thread for {@code insert} commands of Ferry-commit-shaped documents, and for the change-stream
 * {@code getMore}s that read them back as events. The commands are handed to the backend directly (no socket, no
 * driver): decoding the request and encoding the reply onto the wire are the same before and after any change here,
 * and leaving them out leaves out their noise. Allocated bytes hardly depend on the machine's load; CPU time does.
 * <p>
 * A program, not a test: {@code java -cp <test classpath> dev.ferry.embedded.mongo.internals.InsertAllocationProbe
 * [documents] [batch]}; prints one JSON line.
 */
public final class InsertAllocationProbe {

    private static final String DATABASE = "probe";
    private static final String COLLECTION = "commits";

    private InsertAllocationProbe() {
    }

    public static void main(String[] args) {
        int documents = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

        BoundedOplogBackend backend = new BoundedOplogBackend(documents * 3, BoundedOplog.Reads.INLINE);
        backend.enableOplog();
        EmbeddedChannel channel = new EmbeddedChannel();
        // warm-up on another collection, so that the measured one starts empty and its stream sees only its inserts
        run(backend, channel, "warmup", commits(documents, "w"), batch);

        long cursor = openStream(backend, channel);
        List<Document> measured = commits(documents, "m");
        long allocatedBefore = threads.getCurrentThreadAllocatedBytes();
        long cpuBefore = threads.getCurrentThreadCpuTime();
        insert(backend, channel, COLLECTION, measured, batch);
        long insertAllocated = threads.getCurrentThreadAllocatedBytes() - allocatedBefore;
        long insertCpu = threads.getCurrentThreadCpuTime() - cpuBefore;

        allocatedBefore = threads.getCurrentThreadAllocatedBytes();
        cpuBefore = threads.getCurrentThreadCpuTime();
        int events = drain(backend, channel, cursor);
        long readAllocated = threads.getCurrentThreadAllocatedBytes() - allocatedBefore;
        long readCpu = threads.getCurrentThreadCpuTime() - cpuBefore;
        if (events != documents) {
            throw new IllegalStateException("read " + events + " events of " + documents + " inserts");
        }
        System.out.printf("{\"documents\": %d, \"batch\": %d, \"insertBytesPerDoc\": %d, \"insertCpuNsPerDoc\": %d,"
                + " \"readBytesPerEvent\": %d, \"readCpuNsPerEvent\": %d}%n", documents, batch,
            insertAllocated / documents, insertCpu / documents, readAllocated / events, readCpu / events);
    }

    private static void run(BoundedOplogBackend backend, EmbeddedChannel channel, String collection,
                            List<Document> commits, int batch) {
        insert(backend, channel, collection, commits, batch);
        backend.handleCommand(channel, DATABASE, "count", new Document("count", collection));
    }

    private static void insert(BoundedOplogBackend backend, EmbeddedChannel channel, String collection,
                               List<Document> commits, int batch) {
        for (int from = 0; from < commits.size(); from += batch) {
            List<Document> slice = new ArrayList<>(commits.subList(from, Math.min(commits.size(), from + batch)));
            backend.handleCommand(channel, DATABASE, "insert", new Document("insert", collection)
                .append("documents", slice).append("ordered", true));
        }
    }

    private static long openStream(BoundedOplogBackend backend, EmbeddedChannel channel) {
        Document reply = backend.handleCommand(channel, DATABASE, "aggregate", new Document("aggregate", COLLECTION)
            .append("pipeline", List.of(new Document("$changeStream", new Document())))
            .append("cursor", new Document()));
        return ((Number) ((Document) reply.get("cursor")).get("id")).longValue();
    }

    private static int drain(BoundedOplogBackend backend, EmbeddedChannel channel, long cursor) {
        int events = 0;
        while (true) {
            Document reply = backend.handleCommand(channel, DATABASE, "getMore", new Document("getMore", cursor)
                .append("collection", COLLECTION));
            List<?> batch = (List<?>) ((Document) reply.get("cursor")).get("nextBatch");
            if (batch.isEmpty()) {
                return events;
            }
            events += batch.size();
        }
    }

    /** Documents shaped as Ferry's MongoDB event store writes a one-event commit. */
    private static List<Document> commits(int count, String prefix) {
        List<Document> commits = new ArrayList<>(count);
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        for (int i = 0; i < count; i++) {
            List<Document> lines = new ArrayList<>();
            for (int line = 0; line < 3; line++) {
                lines.add(new Document("sku", "SKU-" + (i * 7 + line)).append("quantity", line + 1)
                    .append("price", 9.95 + line));
            }
            Document payload = new Document("orderId", prefix + "-order-" + i).append("customerId", "customer-" + i % 97)
                .append("lines", lines).append("total", 42.5).append("currency", "EUR")
                .append("note", "leave at the door, ring twice");
            Document event = new Document("eventId", new UUID(i, 1).toString()).append("version", 1L)
                .append("eventType", "OrderPlaced").append("timestamp", now.plusMillis(i)).append("payload", payload)
                .append("metadata", new Document("correlationId", new UUID(i, 2).toString())
                    .append("causationId", new UUID(i, 3).toString()));
            commits.add(new Document("_id", new ObjectId()).append("aggregateType", "Order")
                .append("aggregateId", prefix + "-order-" + i).append("firstVersion", 1L).append("lastVersion", 1L)
                .append("committedAt", now.plusMillis(i)).append("events", List.of(event)));
        }
        return commits;
    }
}
