package dev.ferry.it.contract;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.bson.Document;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;

import dev.ferry.core.event.Event;

/**
 * The read model the Node consumer scripts ({@code kafka-consume.mjs}, {@code nats-consume.mjs}) fold {@code AppendLoad}'s
 * events into — per aggregate its count, the sum of {@code n}, the last {@code n} and every applied version — checked
 * against the fold of the stored events.
 */
final class NodeReadModelFold {

    private NodeReadModelFold() {
    }

    /** Every aggregate's count, sum of n, last n and applied versions, against the fold of its stored events. */
    static List<String> mismatches(List<Event> events, MongoCollection<Document> readModel) {
        Map<String, List<Event>> byAggregate = events.stream().collect(Collectors.groupingBy(Event::aggregateId));
        List<String> mismatches = new ArrayList<>();
        byAggregate.forEach((id, history) -> {
            List<Event> ordered = history.stream().sorted((x, y) -> Long.compare(x.version(), y.version())).toList();
            Document fold = new Document("count", (long) ordered.size())
                .append("sum", ordered.stream().mapToLong(NodeReadModelFold::n).sum())
                .append("last", n(ordered.get(ordered.size() - 1)))
                .append("applied", ordered.stream().map(Event::version).toList());
            Document document = readModel.find(Filters.eq("_id", id)).first();
            Document built = document == null ? null : new Document("count", number(document.get("count")))
                .append("sum", number(document.get("sum")))
                .append("last", number(document.get("state", Document.class).get("n")))
                .append("applied", document.getList("applied", Number.class).stream().map(Number::longValue).toList());
            if (!fold.equals(built)) {
                mismatches.add(id + ": the fold is " + fold.toJson() + ", the read model " + (built == null ? "missing"
                    : built.toJson()));
            }
        });
        return mismatches;
    }

    /** The versions the read model's documents are at, added up: the number of events applied. */
    static long versionsApplied(MongoCollection<Document> readModel) {
        long total = 0;
        for (Document document : readModel.find(Filters.exists("_version"))) {
            total += ((Number) document.get("_version")).longValue();
        }
        return total;
    }

    static Map<String, Long> counts(List<NodeConsumerProcess.Decision> decisions) {
        return decisions.stream().collect(Collectors.groupingBy(NodeConsumerProcess.Decision::decision,
            Collectors.counting()));
    }

    private static long n(Event event) {
        return ((Number) Document.parse(event.payloadJson()).get("n")).longValue();
    }

    private static Long number(Object value) {
        return value == null ? null : ((Number) value).longValue();
    }
}
