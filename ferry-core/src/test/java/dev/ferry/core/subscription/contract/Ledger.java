package dev.ferry.core.subscription.contract;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

import dev.ferry.core.event.Event;
import dev.ferry.core.subscription.PartitionId;
import dev.ferry.core.subscription.SubscribedRecord;
import dev.ferry.core.wire.EventJson;

/**
 * What a scenario published and what every instance owned, was given and acknowledged, in one order (the order the
 * instances told it, one at a time). Ownership is as the instances' callbacks told them: a partition is held from its
 * gain to its revocation, loss or the holder's crash. The rules of every moment are checked as the instances report
 * and kept as violations: an instance is given records only of partitions it holds, and only while it is the latest
 * to have gained them; only the latest to have gained a partition has acknowledgements of it accepted; a partition is
 * revoked (handed back in an orderly way) before another instance gains it; nothing acknowledged is given again. A
 * former owner may hear of a loss only after the next owner gained the partition (a lease or session that ran out), so
 * two holders of a partition are a fault only if they last: {@link #ownedTwice()}. The rules about the whole history
 * (order per key, nothing lost) are asked at the end.
 */
final class Ledger {

    /** One owner's hold on a partition, from its gain to its revocation or loss; {@code floor}: acknowledged then. */
    record Stint(long id, String instance, PartitionId partition, long floor) {
    }

    /** A record as an instance was given it, with the event it carries. */
    record Delivery(Stint stint, SubscribedRecord record, Event event) {
    }

    /** The published events by their value on the wire (every event's value is unique: its id is in it). */
    private final Map<String, Event> published = new LinkedHashMap<>();
    /** The instance that gained each partition last. */
    private final Map<PartitionId, String> owners = new HashMap<>();
    /** Every instance holding each partition, as its callbacks told it. */
    private final Map<PartitionId, Set<String>> holders = new HashMap<>();
    private final Map<PartitionId, Long> acknowledged = new HashMap<>();
    private final List<Delivery> deliveries = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();
    private long stints;

    synchronized void published(Event event) {
        published.put(EventJson.encode(event), event);
    }

    synchronized Stint gained(String instance, PartitionId partition) {
        owners.put(partition, instance);
        holders.computeIfAbsent(partition, p -> new TreeSet<>()).add(instance);
        return new Stint(++stints, instance, partition, acknowledged.getOrDefault(partition, 0L));
    }

    /** {@code instance} no longer holds {@code partition}: revoked ({@code orderly}) or lost. */
    synchronized void released(String instance, PartitionId partition, boolean orderly) {
        if (orderly && !instance.equals(owners.get(partition))) {
            violations.add(partition + " revoked from " + instance + " after " + owners.get(partition)
                + " had gained it: a partition is handed back before its next owner gains it");
        }
        owners.remove(partition, instance);
        holders.getOrDefault(partition, new TreeSet<>()).remove(instance);
    }

    /** A crashed instance does nothing more: from now on it holds nothing. */
    synchronized void crashed(String instance) {
        owners.values().removeIf(instance::equals);
        holders.values().forEach(held -> held.remove(instance));
    }

    /** The instances holding each held partition now. */
    synchronized Map<PartitionId, Set<String>> holders() {
        Map<PartitionId, Set<String>> now = new TreeMap<>(Comparator.comparing(PartitionId::toString));
        holders.forEach((partition, held) -> {
            if (!held.isEmpty()) {
                now.put(partition, Set.copyOf(held));
            }
        });
        return now;
    }

    /** Partitions more than one instance holds now. */
    synchronized Map<PartitionId, Set<String>> ownedTwice() {
        Map<PartitionId, Set<String>> twice = holders();
        twice.values().removeIf(held -> held.size() < 2);
        return twice;
    }

    /** An acknowledgement the transport accepted from {@code instance}: everything before {@code next} is done. */
    synchronized void acknowledged(String instance, PartitionId partition, long next) {
        String owner = owners.get(partition);
        if (!instance.equals(owner)) {
            violations.add("an acknowledgement of " + partition + " up to " + next + " accepted from " + instance
                + " while " + owner + " owns it");
        }
        acknowledged.merge(partition, next, Math::max);
    }

    synchronized void delivered(String instance, Stint stint, SubscribedRecord record) {
        Event event = record.value() == null ? null : published.get(new String(record.value(), UTF_8));
        if (event == null) {
            violations.add(instance + " was given a record never published: " + describe(record));
            return;
        }
        String owner = owners.get(record.partition());
        if (stint == null) {
            violations.add(instance + " was given a record of " + record.partition() + ", which it does not own: "
                + describe(record));
        } else if (!instance.equals(owner)) {
            violations.add(instance + " was given " + describe(record) + " while " + owner + " owns it");
        } else if (record.position() < stint.floor()) {
            violations.add(instance + " was given " + describe(record) + " again, below the acknowledged position "
                + stint.floor() + " of " + record.partition());
        }
        deliveries.add(new Delivery(stint, record, event));
    }

    synchronized void violated(String rule) {
        violations.add(rule);
    }

    synchronized List<String> violations() {
        return List.copyOf(violations);
    }

    synchronized List<Delivery> deliveries() {
        return List.copyOf(deliveries);
    }

    synchronized List<Event> published() {
        return List.copyOf(published.values());
    }

    /** The events given to {@code instance} (all instances if null), in the order it was given them. */
    synchronized List<Event> deliveredTo(String instance) {
        return deliveries.stream().filter(d -> instance == null || d.stint() != null && d.stint().instance().equals(instance))
            .map(Delivery::event).toList();
    }

    /** The published events no instance was given yet. */
    synchronized List<Event> neverDelivered() {
        Set<String> given = deliveries.stream().map(d -> d.event().eventId()).collect(Collectors.toSet());
        return published.values().stream().filter(e -> !given.contains(e.eventId())).toList();
    }

    /** The events given to an instance whose position no accepted acknowledgement covers yet. */
    synchronized List<Event> notAcknowledged() {
        Map<String, Event> open = new LinkedHashMap<>();
        for (Delivery delivery : deliveries) {
            if (delivery.record().position() >= acknowledged.getOrDefault(delivery.record().partition(), 0L)) {
                open.put(delivery.event().eventId(), delivery.event());
            }
        }
        Set<String> given = deliveries.stream().map(d -> d.event().eventId()).collect(Collectors.toSet());
        published.values().stream().filter(e -> !given.contains(e.eventId())).forEach(e -> open.put(e.eventId(), e));
        return List.copyOf(open.values());
    }

    /**
     * Order per key, over every instance: within one owner's stint a key's versions follow each other one by one; a new
     * stint may start again below what was given before (what was not acknowledged is given again) but never past the
     * next version not yet given; and every key's last published version was given. Returns what breaks it.
     */
    synchronized List<String> outOfOrder() {
        Map<String, List<Delivery>> byKey = deliveries.stream()
            .collect(Collectors.groupingBy(d -> d.event().aggregateId(), LinkedHashMap::new, Collectors.toList()));
        Map<String, Long> last = new HashMap<>();
        published.values().forEach(e -> last.merge(e.aggregateId(), e.version(), Math::max));
        List<String> broken = new ArrayList<>();
        last.forEach((key, lastVersion) -> {
            Delivery before = null;
            long highest = 0;
            for (Delivery delivery : byKey.getOrDefault(key, List.of())) {
                long version = delivery.event().version();
                boolean sameStint = before != null && before.stint() != null && before.stint().equals(delivery.stint());
                if (sameStint && version != before.event().version() + 1) {
                    broken.add(key + ": version " + version + " given to " + delivery.stint().instance() + " right after "
                        + before.event().version() + ", in the same ownership of " + delivery.record().partition());
                } else if (!sameStint && version > highest + 1) {
                    broken.add(key + ": version " + version + " given to " + instanceOf(delivery) + " when only "
                        + highest + " had been given (a new owner skipped records)");
                }
                highest = Math.max(highest, version);
                before = delivery;
            }
            if (highest != lastVersion) {
                broken.add(key + ": versions given up to " + highest + ", published up to " + lastVersion);
            }
        });
        return broken;
    }

    private static String instanceOf(Delivery delivery) {
        return delivery.stint() == null ? "?" : delivery.stint().instance();
    }

    private static String describe(SubscribedRecord record) {
        return record.partition() + "@" + record.position() + " key " + record.key();
    }
}
