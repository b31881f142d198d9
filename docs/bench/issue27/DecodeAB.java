import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.bson.RawBsonDocument;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;

import dev.ferry.core.event.NewEvent;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.embedded.mongo.EmbeddedMongo;
import dev.ferry.mongodb.store.CommitDocuments;
import dev.ferry.mongodb.store.MongoEventStore;

/**
 * Issue 27's decode A/B: the relay's decoding of a stored commit (CommitDocuments.decode, where issue 27 put the
 * contract checks) timed on one thread, with only APIs that exist both before (41dd163) and after (31b9bd2), so that
 * the same source runs against either build's jar: java -cp ferry-app/target/ferry.jar DecodeAB.java [commits] [rounds]
 * The commits are the pipeline benchmark's: one 300-byte event each, written by the store, read back as raw BSON.
 */
public class DecodeAB {
    public static void main(String[] args) {
        int commits = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        List<RawBsonDocument> stored = new ArrayList<>();
        try (EmbeddedMongo mongo = EmbeddedMongo.start(); MongoClient client = MongoClients.create(mongo.connectionString())) {
            MongoEventStore store = new MongoEventStore(client.getDatabase("ab"), "events", new TopicNaming(""),
                MongoEventStore.DEFAULT_MAX_EVENT_BYTES);
            String payload = "{\"pad\":\"" + "x".repeat(290) + "\"}";
            long[] versions = new long[125];
            for (int i = 0; i < commits; i++) {
                store.append("patient", "agg-" + (i % 125), versions[i % 125]++, List.of(new NewEvent("Changed", payload)));
            }
            client.getDatabase("ab").getCollection("events", RawBsonDocument.class).find().into(stored);
        }
        double[] nanos = new double[rounds];
        for (int round = -rounds; round < rounds; round++) { // as many warm-up rounds first
            long events = 0;
            long start = System.nanoTime();
            for (RawBsonDocument commit : stored) {
                events += CommitDocuments.decode(commit).size();
            }
            if (events != stored.size()) {
                throw new IllegalStateException(events + " events");
            }
            if (round >= 0) {
                nanos[round] = (double) (System.nanoTime() - start) / stored.size();
            }
        }
        double[] sorted = nanos.clone();
        Arrays.sort(sorted);
        System.out.printf("decode ns per commit: median %.0f, min %.0f, max %.0f (%d commits, %d rounds)%n",
            sorted[rounds / 2], sorted[0], sorted[rounds - 1], stored.size(), rounds);
    }
}
