package dev.ferry.mongodb.readmodel;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.bson.Document;

/**
 * What an aggregate's apply log ({@code _applyLog}, kept by {@link MongoReadModelWriter} when asked) says: how many
 * applies it records, how many versions were applied more than once, and how many were applied out of the order
 * 1, 2, 3, … — both must be 0. The log is pushed by the very update it records, so it shows what the writer believes
 * it did; a test wanting independent evidence watches the collection's change stream instead.
 */
public record ApplyLogAudit(long applies, long duplicates, long orderViolations) {

    public static ApplyLogAudit of(Document readModelDocument) {
        List<Number> log = readModelDocument == null ? List.of()
            : readModelDocument.getList(MongoReadModelWriter.APPLY_LOG, Number.class, List.of());
        Set<Long> seen = new HashSet<>();
        long duplicates = 0;
        long order = 0;
        long previous = 0;
        for (Number entry : log) {
            long version = entry.longValue();
            if (!seen.add(version)) {
                duplicates++;
            } else if (version != previous + 1) {
                order++;
            }
            previous = Math.max(previous, version);
        }
        return new ApplyLogAudit(log.size(), duplicates, order);
    }
}
