package dev.ferry.it.support;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.bson.Document;

import com.mongodb.client.MongoCollection;

import dev.ferry.core.event.Event;
import dev.ferry.mongodb.readmodel.ApplyLogAudit;
import dev.ferry.mongodb.readmodel.MongoReadModelWriter;

/**
 * The read model against the fold of the event store, computed here independently of any projection code: for the
 * test projection ({@link TestProjections#counter}) an aggregate's state is the {@code n} of its last event and its
 * version the number of its events. The apply log (every applied version, appended in the same write) is counted:
 * a version appearing twice is a duplicate apply; versions not in 1, 2, 3, … order are order violations.
 */
public record ReadModelCheck(int aggregates, int exact, int missingOrWrong, int duplicatesApplied, int orderViolations,
                             long applies) {

    public boolean readModelExact() {
        return exact == aggregates && missingOrWrong == 0;
    }

    public static ReadModelCheck of(List<Event> stored, MongoCollection<Document> readModel) {
        Map<String, List<Event>> byAggregate = new HashMap<>();
        for (Event event : stored) {
            byAggregate.computeIfAbsent(event.aggregateId(), id -> new ArrayList<>()).add(event);
        }
        Map<String, Document> documents = new HashMap<>();
        for (Document document : readModel.find()) {
            documents.put(document.getString("_id"), document);
        }
        int exact = 0;
        int wrong = 0;
        int duplicates = 0;
        int order = 0;
        long applies = 0;
        for (Map.Entry<String, List<Event>> entry : byAggregate.entrySet()) {
            List<Event> events = entry.getValue();
            events.sort((a, b) -> Long.compare(a.version(), b.version()));
            Event last = events.get(events.size() - 1);
            Document document = documents.get(entry.getKey());
            ApplyLogAudit audit = ApplyLogAudit.of(document);
            applies += audit.applies();
            duplicates += (int) audit.duplicates();
            order += (int) audit.orderViolations();
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
        return new ReadModelCheck(byAggregate.size(), exact, wrong, duplicates, order, applies);
    }
}
