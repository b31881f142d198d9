package dev.ferry.it.support;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.ferry.core.event.Event;

/**
 * Compares the topics with the event store: events lost, records of events the store does not hold (e.g. a
 * rejected append), duplicates, and per-aggregate order violations. A duplicate (a version at or below the
 * highest seen for its aggregate) is not an order violation; a version beyond the next one is.
 */
public record DeliveryCheck(int storedEvents, int records, int lost, int unknown, int duplicates, int orderViolations,
                            int keyMismatches) {

    public static DeliveryCheck of(List<Event> stored, List<PublishedRecord> records) {
        Set<String> storedIds = new HashSet<>();
        stored.forEach(event -> storedIds.add(event.eventId()));
        Set<String> seen = new HashSet<>();
        int duplicates = 0;
        int unknown = 0;
        int keyMismatches = 0;
        int orderViolations = 0;
        Map<String, Long> highest = new HashMap<>();
        for (PublishedRecord record : records) {
            if (!seen.add(record.eventId())) {
                duplicates++;
            }
            if (!storedIds.contains(record.eventId())) {
                unknown++;
            }
            if (!record.aggregateId().equals(record.key())) {
                keyMismatches++;
            }
            String aggregate = record.aggregateType() + "/" + record.aggregateId();
            long max = highest.getOrDefault(aggregate, 0L);
            if (record.version() > max + 1) {
                orderViolations++;
            }
            highest.put(aggregate, Math.max(max, record.version()));
        }
        Set<String> lost = new HashSet<>(storedIds);
        lost.removeAll(seen);
        return new DeliveryCheck(stored.size(), records.size(), lost.size(), unknown, duplicates, orderViolations,
            keyMismatches);
    }
}
