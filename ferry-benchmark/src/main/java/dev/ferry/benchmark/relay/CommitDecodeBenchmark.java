package dev.ferry.benchmark.relay;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.bson.RawBsonDocument;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;

import dev.ferry.benchmark.pipeline.Spread;
import dev.ferry.benchmark.raw.RawDocuments;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.core.event.NewEvent;
import dev.ferry.embedded.mongo.EmbeddedMongo;
import dev.ferry.mongodb.changestream.DocumentReaders;
import dev.ferry.mongodb.changestream.WatchedCollection;
import dev.ferry.mongodb.store.MongoEventStore;

/**
 * The relay's CPU for turning a stored commit into its change — the one pass that reads every field and checks it
 * against the published contract before anything is derived from it — in this JVM, on one thread, per commit. The
 * commits are the pipeline benchmark's (one 300-byte event each, as {@code ferry bench pipeline} appends them), written
 * by {@link MongoEventStore} to the embedded MongoDB and read back as the raw BSON the change stream hands the relay.
 * Warm-up rounds first (the JIT), then measured rounds: the median and spread of the nanoseconds per commit.
 * <p>
 * Why: whether the contract checks fit in the relay's CPU budget (a few percent of its CPU per event) cannot be seen
 * in the whole relay's CPU, which varies by ±25 % from run to run on a 2-core VM; this is the part that holds them, timed
 * alone.
 */
public final class CommitDecodeBenchmark {

    /** The pipeline benchmark's aggregate type. */
    private static final String AGGREGATE_TYPE = "patient";

    /** @param commits commits decoded per round; {@code rounds} measured after {@code warmUpRounds} */
    public record Options(int commits, int payloadBytes, int warmUpRounds, int rounds) {
    }

    /** Nanoseconds per commit, round by round; how many of the commits were refused (0 expected). */
    public record Result(int commits, int payloadBytes, double[] nanosPerCommit, long refused) {

        public Spread spread() {
            return Spread.of(nanosPerCommit);
        }

        public String toJson() {
            Spread spread = spread();
            StringBuilder runs = new StringBuilder();
            for (double nanos : nanosPerCommit) {
                runs.append(runs.length() == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.1f", nanos));
            }
            return String.format(Locale.ROOT, "{\"benchmark\":\"decode\",\"commits\":%d,\"payloadBytes\":%d,"
                + "\"nanosPerCommit\":%.1f,\"nanosPerCommitMin\":%.1f,\"nanosPerCommitMax\":%.1f,\"rounds\":[%s],"
                + "\"refused\":%d}", commits, payloadBytes, spread.median(), spread.min(), spread.max(), runs, refused);
        }
    }

    private final Options options;
    private final PrintStream progress;

    public CommitDecodeBenchmark(Options options, PrintStream progress) {
        this.options = options;
        this.progress = progress;
    }

    public Result run() {
        List<RawBsonDocument> commits = storedCommits();
        WatchedCollection.DocumentReader reader = DocumentReaders.commits();
        ResumeToken token = new ResumeToken("t");
        long refused = 0;
        double[] measured = new double[options.rounds()];
        for (int round = -options.warmUpRounds(); round < options.rounds(); round++) {
            long sink = 0;
            refused = 0;
            long start = System.nanoTime();
            for (RawBsonDocument commit : commits) {
                Change change = reader.read(token, commit);
                if (change instanceof Change.Refused) {
                    refused++;
                }
                sink += change.records().size();
            }
            double nanos = (double) (System.nanoTime() - start) / commits.size();
            if (sink != commits.size() - refused) {
                throw new IllegalStateException("decoded " + sink + " events from " + commits.size() + " commits");
            }
            if (round >= 0) {
                measured[round] = nanos;
                progress.printf(Locale.ROOT, "round %d/%d: %.0f ns per commit%n", round + 1, options.rounds(), nanos);
            }
        }
        return new Result(options.commits(), options.payloadBytes(), measured, refused);
    }

    /** The commits as the store writes them, read back as raw BSON. */
    private List<RawBsonDocument> storedCommits() {
        try (EmbeddedMongo mongo = EmbeddedMongo.start();
             MongoClient client = MongoClients.create(mongo.connectionString())) {
            MongoEventStore store = new MongoEventStore(client.getDatabase("decode"), "events", new TopicNaming(""),
                MongoEventStore.DEFAULT_MAX_EVENT_BYTES);
            String payload = RawDocuments.payload(options.payloadBytes());
            long[] versions = new long[125];
            for (int i = 0; i < options.commits(); i++) {
                int aggregate = i % versions.length;
                store.append(AGGREGATE_TYPE, "agg-" + aggregate, versions[aggregate]++,
                    List.of(new NewEvent("Changed", payload)));
            }
            MongoCollection<RawBsonDocument> events = client.getDatabase("decode").getCollection("events",
                RawBsonDocument.class);
            List<RawBsonDocument> commits = new ArrayList<>(options.commits());
            events.find().into(commits);
            return commits;
        }
    }

    /** The result as a Markdown line, beside the relay's CPU per event it is a part of. */
    public static void printMarkdown(Result result, PrintWriter out) {
        out.printf(Locale.ROOT, "| commits | payload | ns per commit, median (min–max of %d rounds) | refused |%n"
            + "|---|---|---|---|%n| %,d | %d B | %s | %d |%n", result.nanosPerCommit().length, result.commits(),
            result.payloadBytes(), result.spread().markdown("%.0f"), result.refused());
    }
}
