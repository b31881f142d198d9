package dev.ferry.it.support;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.ferry.core.event.Event;

/**
 * Compares the topics with the event store: events lost, records of events the store does not hold (e.g. a
 * rejected append), duplicates, and per-aggregate order violations, as a consumer reading each partition in offset
 * order meets them. A duplicate is a record of an event already seen (a re-publication after a failover, which goes
 * back to versions the consumer has applied and skips them). An order violation is a record of an event not seen
 * before whose version is not the next one of its aggregate: beyond it (a version skipped, for now or for good) or at
 * or below the highest seen (a record going back to an older version it never delivered: a consumer's version check
 * would drop it as a duplicate, and the event would be lost to it).
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
            boolean firstSeen = seen.add(record.eventId());
            if (!firstSeen) {
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
            if (firstSeen && record.version() != max + 1) {
                orderViolations++; // skipped ahead, or went back to a version not delivered before
            }
            highest.put(aggregate, Math.max(max, record.version()));
        }
        Set<String> lost = new HashSet<>(storedIds);
        lost.removeAll(seen);
        return new DeliveryCheck(stored.size(), records.size(), lost.size(), unknown, duplicates, orderViolations,
            keyMismatches);
    }
}
