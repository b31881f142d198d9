package dev.ferry.embedded.mongo;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.UUID;

import org.bson.Document;
import org.bson.types.ObjectId;

import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.changestream.ChangeStreamDocument;

/**
 * What the embedded server's threads spend per insert and per change event when a driver writes and reads through
 * the socket: bytes allocated and CPU time of its I/O thread (decoding requests, encoding replies) and command lanes,
 * for {@code insertMany} batches of Ferry-commit-shaped documents and a change stream reading them back. Only public
 * API, so the same class runs against any build of the server. Allocated bytes hardly depend on the machine's load;
 * CPU time does.
 * <p>
 * A program, not a test: {@code java -cp <test classpath> dev.ferry.embedded.mongo.ServerThreadAllocationProbe
 * [documents] [batch]}; prints one JSON line.
 */
public final class ServerThreadAllocationProbe {

    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private ServerThreadAllocationProbe() {
    }

    public static void main(String[] args) {
        int documents = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        try (EmbeddedMongo mongo = EmbeddedMongo.start(0, documents * 3);
             MongoClient client = MongoClients.create(mongo.connectionString())) {
            run(client.getDatabase("probe").getCollection("warmup"), documents, batch, "w");
            long[] server = serverThreads();
            long[] measured = run(client.getDatabase("probe").getCollection("commits"), documents, batch, "m");
            System.out.printf("{\"documents\": %d, \"batch\": %d, \"serverThreads\": %d, \"insertBytesPerDoc\": %d,"
                    + " \"insertCpuNsPerDoc\": %d, \"readBytesPerEvent\": %d, \"readCpuNsPerEvent\": %d}%n", documents,
                batch, server.length, measured[0] / documents, measured[1] / documents, measured[2] / documents,
                measured[3] / documents);
        }
    }

    /** Inserts, then reads the events back; the server threads' bytes and CPU of each phase. */
    private static long[] run(MongoCollection<Document> collection, int documents, int batch, String prefix) {
        List<Document> commits = commits(documents, prefix);
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> stream = collection.watch().cursor()) {
            long[] start = spent();
            for (int from = 0; from < documents; from += batch) {
                collection.insertMany(commits.subList(from, Math.min(documents, from + batch)));
            }
            long[] inserted = spent();
            int events = 0;
            while (events < documents) {
                if (stream.tryNext() != null) {
                    events++;
                }
            }
            long[] read = spent();
            return new long[] {inserted[0] - start[0], inserted[1] - start[1], read[0] - inserted[0],
                read[1] - inserted[1]};
        }
    }

    /** Bytes allocated and CPU nanoseconds of the server's threads so far. */
    private static long[] spent() {
        long[] ids = serverThreads();
        return new long[] {Arrays.stream(THREADS.getThreadAllocatedBytes(ids)).sum(),
            Arrays.stream(ids).map(THREADS::getThreadCpuTime).sum()};
    }

    private static long[] serverThreads() {
        return Arrays.stream(THREADS.getThreadInfo(THREADS.getAllThreadIds()))
            .filter(info -> info != null && info.getThreadName().startsWith("embedded-mongo"))
            .mapToLong(info -> info.getThreadId()).toArray();
    }

    /** Documents shaped as Ferry's MongoDB event store writes a one-event commit. */
    private static List<Document> commits(int count, String prefix) {
        List<Document> commits = new ArrayList<>(count);
        long start = 1_767_225_600_000L;
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
                .append("eventType", "OrderPlaced").append("timestamp", new Date(start + i)).append("payload", payload)
                .append("metadata", new Document("correlationId", new UUID(i, 2).toString())
                    .append("causationId", new UUID(i, 3).toString()));
            commits.add(new Document("_id", new ObjectId()).append("aggregateType", "Order")
                .append("aggregateId", prefix + "-order-" + i).append("firstVersion", 1L).append("lastVersion", 1L)
                .append("committedAt", new Date(start + i)).append("events", List.of(event)));
        }
        return commits;
    }
}
