package dev.ferry.it.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.bson.Document;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.event.NewEvent;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.HistoryLostPolicy;
import dev.ferry.core.relay.RelayStatus;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.core.relay.spi.SourceCopy;
import dev.ferry.it.support.Pipeline;
import dev.ferry.it.support.PipelineFixture;
import dev.ferry.mongodb.changestream.ChangeStreamTail;
import dev.ferry.mongodb.changestream.DocumentReaders;
import dev.ferry.mongodb.changestream.MongoChangeSource;
import dev.ferry.mongodb.changestream.WatchedCollection;
import dev.ferry.mongodb.copy.CopiedCollection;
import dev.ferry.mongodb.copy.MongoSourceCopy;

/**
 * A copy slower than the oplog window: while the copy runs, other writes push the stream position noted before it
 * out of the (small, embedded) oplog. The relay does not stream from a later point as if nothing happened: with FAIL
 * it stops with a history-lost error naming the copy's duration and the oplog window; with RESTART_FROM_NOW the gap
 * it records starts at the noted position's time, not at the last time the copy re-saved that position.
 */
@Timeout(120)
class SlowCopyIT extends PipelineFixture {

    private static final int OPLOG_CAPACITY = 300;
    private static final int STORED = 120;
    /** The copy lasts at least this long: longer than the cluster time's one-second resolution, twice over. */
    private static final Duration COPY_AT_LEAST = Duration.ofMillis(2_100);

    private volatile Instant copyBegan;

    @Override
    protected int oplogCapacity() {
        return OPLOG_CAPACITY;
    }

    @BeforeEach
    void onlyOnTheEmbeddedServer() {
        // Pushing a real replica set's oplog window past a copy would take hours of writes.
        Assumptions.assumeTrue(mongo.isEmbedded(), "needs the embedded server's small oplog to lose history");
    }

    @Test
    void failPolicyStopsNamingTheCopysDurationAndTheOplogWindow() {
        ChangeStreamRelay relay = startSlowCopy();

        await().atMost(Duration.ofSeconds(60)).until(() -> relay.status().role() == RelayStatus.Role.FAILED);
        String failure = relay.status().failure();
        System.out.println("SlowCopyIT FAIL: " + failure);
        assertThat(failure).contains("history lost").contains("the copy of [events] took ")
            .containsPattern("took \\d+\\.\\d+ s from the stream position noted before it \\(at 20")
            .containsPattern("history window, which now holds 20\\S+ \\.\\. 20\\S+ \\(\\d+\\.\\d+ s\\)")
            .contains("Enlarge the oplog window beyond the copy's duration")
            .contains("not after a copy that outlasted the window");
        assertThat(pipeline.recordCount()).as("the copy itself completed").isEqualTo(STORED);
    }

    @Test
    void restartFromNowRecordsTheGapFromTheNotedPositionsTime() {
        pipeline.withSettings(pipeline.settings().withHistoryLostPolicy(HistoryLostPolicy.RESTART_FROM_NOW));
        ChangeStreamRelay relay = startSlowCopy();

        await().atMost(Duration.ofSeconds(60))
            .until(() -> pipeline.database().getCollection(Pipeline.GAPS).countDocuments() == 1);
        ResumeToken noted = pipeline.checkpoints().load(pipeline.settings().name()).orElseThrow().token();
        Document gap = pipeline.database().getCollection(Pipeline.GAPS).find().first();
        System.out.println("SlowCopyIT RESTART_FROM_NOW gap: " + gap.toJson() + ", copy began " + copyBegan);
        // Noted before the copy began (the cluster time is whole seconds, so at or before); the copy re-saved that
        // position with later savedAt times, at least COPY_AT_LEAST later.
        assertThat(gap.getDate("from").toInstant()).isBeforeOrEqualTo(copyBegan);
        assertThat(gap.getString("reason")).contains("the copy of [events] took");

        // Streaming from now once the checkpoint moves on from the noted position (the first one after the gap).
        await().atMost(Duration.ofSeconds(30)).until(() -> relay.status().role() == RelayStatus.Role.LEADER
            && !pipeline.checkpoints().load(pipeline.settings().name()).orElseThrow().token().equals(noted));
        pipeline.store().append("patient", "after-gap", 0, List.of(new NewEvent("PatientRegistered", "{}")));
        await().atMost(Duration.ofSeconds(30)).until(() -> pipeline.recordCount() == STORED + 1);
    }

    /** Stores commits, then starts a relay whose copy, once begun, outlasts the oplog: writes evict the noted position. */
    private ChangeStreamRelay startSlowCopy() {
        for (int i = 0; i < STORED; i++) {
            pipeline.store().append("patient", "p-" + i, 0, List.of(new NewEvent("PatientRegistered", "{}")));
        }
        WatchedCollection events = new WatchedCollection(pipeline.database().getName(), Pipeline.EVENTS,
            DocumentReaders.commits());
        SourceCopy copy = new OutlastingCopy(new MongoSourceCopy(pipeline.client(),
            List.of(CopiedCollection.commits("events", events))));
        return pipeline.startRelay("r1", MongoChangeSource.of(pipeline.client(), List.of(events),
            ChangeStreamTail.Settings.DEFAULT), copy);
    }

    /** A copy that, on its first batch, lasts a while and meanwhile sees more writes than the oplog keeps. */
    private final class OutlastingCopy implements SourceCopy {

        private final SourceCopy copy;

        OutlastingCopy(SourceCopy copy) {
            this.copy = copy;
        }

        @Override
        public List<String> sources() {
            return copy.sources();
        }

        @Override
        public CopyBatch next(String source, String position, ResumeToken stamp, ResumeToken notedAt,
                               int maxChanges) {
            if (copyBegan == null) {
                copyBegan = Instant.now();
                for (int i = 0; i < OPLOG_CAPACITY + 50; i++) {
                    pipeline.database().getCollection("unrelated").insertOne(new Document("i", i));
                }
                await().atMost(Duration.ofSeconds(10))
                    .until(() -> Duration.between(copyBegan, Instant.now()).compareTo(COPY_AT_LEAST) > 0);
            }
            return copy.next(source, position, stamp, notedAt, maxChanges);
        }
    }
}
