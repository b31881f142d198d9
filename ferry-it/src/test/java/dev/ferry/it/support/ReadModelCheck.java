package dev.ferry.it.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.bson.Document;

import com.mongodb.client.MongoCollection;

import dev.ferry.core.event.Event;
import dev.ferry.mongodb.readmodel.MongoReadModelWriter;

/**
 * The read model against the fold of the event store, computed here independently of any projection code: for the
 * test projection ({@link TestProjections#counter}) an aggregate's state is the {@code n} of its last event and its
 * version the number of its events. Duplicate and reordered applies are counted from the change stream on the
 * read-model collection ({@link ReadModelHistory}), not from anything the writer under test records: a write that
 * does not move its document's version forward is a duplicate, one that moves it back an order violation.
 *
 * @param applies the versions the observed writes moved documents forward by, added up (each event once: the number
 *                of events)
 * @param writes  write events the change stream showed
 * @param examples a few of the duplicates and order violations, for the failure message
 */
public record ReadModelCheck(int aggregates, int exact, int missingOrWrong, int duplicatesApplied, int orderViolations,
                             long applies, long writes, List<String> examples) {

    /** How long the change stream may lag the collection before a check fails as partial (it is read continuously). */
    private static final Duration STREAM_LAG = Duration.ofSeconds(30);

    public boolean readModelExact() {
        return exact == aggregates && missingOrWrong == 0;
    }

    /** The read model checked against {@code stored}, with the history that watches it ({@link ReadModelHistory#of}). */
    public static ReadModelCheck of(List<Event> stored, MongoCollection<Document> readModel) {
        return of(stored, readModel, ReadModelHistory.of(readModel));
    }

    public static ReadModelCheck of(List<Event> stored, MongoCollection<Document> readModel, ReadModelHistory history) {
        Map<String, List<Event>> byAggregate = new HashMap<>();
        for (Event event : stored) {
            byAggregate.computeIfAbsent(event.aggregateId(), id -> new ArrayList<>()).add(event);
        }
        Map<String, Document> documents = new HashMap<>();
        Map<String, Long> versions = new HashMap<>();
        for (Document document : readModel.find()) {
            documents.put(document.getString("_id"), document);
            versions.put(document.getString("_id"), ((Number) document.get(MongoReadModelWriter.VERSION)).longValue());
        }
        int exact = 0;
        int wrong = 0;
        for (Map.Entry<String, List<Event>> entry : byAggregate.entrySet()) {
            List<Event> events = entry.getValue();
            events.sort((a, b) -> Long.compare(a.version(), b.version()));
            Event last = events.get(events.size() - 1);
            Document document = documents.get(entry.getKey());
            Object expectedN = Document.parse(last.payloadJson()).get("n");
            Document state = document == null ? null : document.get(MongoReadModelWriter.STATE, Document.class);
            boolean matches = document != null
                && ((Number) document.get(MongoReadModelWriter.VERSION)).longValue() == last.version()
                && state != null && expectedN != null
                && ((Number) state.get("n")).longValue() == ((Number) expectedN).longValue();
            if (matches) {
                exact++;
            } else {
                wrong++;
            }
        }
        // Every write up to what the collection holds now must have been seen, or the counts below are partial.
        ReadModelHistory.Verdict verdict = history.verdictCovering(versions, STREAM_LAG);
        if (verdict.unreadable() > 0 || verdict.deletes() > 0) {
            throw new IllegalStateException(history + ": " + verdict.unreadable() + " writes without a readable version, "
                + verdict.deletes() + " documents deleted: the history cannot vouch for them");
        }
        return new ReadModelCheck(byAggregate.size(), exact, wrong, (int) verdict.duplicates(),
            (int) verdict.orderViolations(), verdict.versionsCovered(), verdict.writes(), verdict.examples());
    }
}
