package dev.ferry.core.projection;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.VersionRule;

/**
 * Read models in memory, applied the way the real writers apply them (a run's next versions by its version rule, in
 * one write), with a log of every write. Changes are flat JSON objects of strings and integers, enough for tests. A
 * {@link Fault} leaves the duplicate check out, as a broken writer would.
 */
public final class InMemoryReadModels {

    /** What a broken writer leaves out. */
    public enum Fault {
        NONE,
        /** A version at or below the stored one is applied again, as if new. */
        REAPPLIES_DUPLICATES
    }

    /** A read model as stored; {@code state} null when removed or never set. */
    public record Document(long version, boolean deleted, Map<String, Object> state, String lastEventId, List<Long> applied,
                           List<Skipped> skipped) {
    }

    public record Skipped(String eventId, String reason) {
    }

    /** One write as the log saw it. */
    public record Written(String id, long version) {
    }

    private static final Pattern FIELD = Pattern.compile("\\G\\s*\"([^\"\\\\]*)\"\\s*:\\s*(?:\"([^\"\\\\]*)\"|(-?\\d+))\\s*(,|$)");

    private final Fault fault;
    private final Map<String, Document> documents = new HashMap<>(); // by projection and id; guarded by this
    private final Map<String, List<Written>> log = new HashMap<>(); // by projection; guarded by this

    public InMemoryReadModels(Fault fault) {
        this.fault = fault;
    }

    public ReadModelWriter writer() {
        return new Writer();
    }

    public synchronized Document document(Projection projection, String aggregateId) {
        return documents.get(key(projection, aggregateId));
    }

    public synchronized List<Written> log(Projection projection) {
        return List.copyOf(log.getOrDefault(projection.name(), List.of()));
    }

    private static String key(Projection projection, String aggregateId) {
        return projection.name() + '\u0000' + aggregateId;
    }

    /** A flat JSON object of strings and integers (an int where one fits, as a JSON parser gives it). */
    static Map<String, Object> parse(String json) {
        String body = json.strip();
        if (!body.startsWith("{") || !body.endsWith("}")) {
            throw new IllegalArgumentException("not a JSON object: " + json);
        }
        body = body.substring(1, body.length() - 1).strip();
        Map<String, Object> fields = new LinkedHashMap<>();
        Matcher field = FIELD.matcher(body);
        int end = 0;
        while (end < body.length() && field.find()) {
            Object value = field.group(2) != null ? field.group(2) : number(field.group(3));
            fields.put(field.group(1), value);
            end = field.end();
        }
        if (end < body.length()) {
            throw new IllegalArgumentException("not a flat JSON object of strings and integers: " + json);
        }
        return fields;
    }

    private static Object number(String digits) {
        long value = Long.parseLong(digits);
        return value == (int) value ? (Object) (int) value : (Object) value;
    }

    private final class Writer implements ReadModelWriter {

        @Override
        public Outcome apply(Projection projection, Event event, ReadModelChange change) {
            return applyRun(projection, List.of(new Step(event, change))).get(0);
        }

        @Override
        public List<Outcome> applyRun(Projection projection, List<Step> run) {
            return write(projection, run, null);
        }

        @Override
        public long version(Projection projection, String aggregateId) {
            Document document = document(projection, aggregateId);
            return document == null ? 0 : document.version();
        }

        @Override
        public Outcome skip(Projection projection, Event event, String reason) {
            return write(projection, List.of(new Step(event, ReadModelChange.UNCHANGED)), reason).get(0);
        }

        /** @param skipReason for a skip (one step): the marker's reason */
        private List<Outcome> write(Projection projection, List<Step> run, String skipReason) {
            if (run.isEmpty()) {
                return List.of();
            }
            String id = run.get(0).event().aggregateId();
            synchronized (InMemoryReadModels.this) {
                Document stored = documents.get(key(projection, id));
                long at = stored == null ? 0 : stored.version();
                boolean deleted = stored != null && stored.deleted();
                Map<String, Object> state = stored == null || stored.state() == null ? null : new LinkedHashMap<>(stored.state());
                List<Long> applied = stored == null ? new ArrayList<>() : new ArrayList<>(stored.applied());
                List<Skipped> skipped = stored == null ? new ArrayList<>() : new ArrayList<>(stored.skipped());
                Event last = null;
                List<Outcome> outcomes = new ArrayList<>(run.size());
                for (Step step : run) {
                    long version = step.event().version();
                    boolean next = step.event().versionRule() == VersionRule.INCREASING || version == at + 1;
                    if (version <= at && fault != Fault.REAPPLIES_DUPLICATES) {
                        outcomes.add(Outcome.DUPLICATE);
                        continue;
                    }
                    if (version > at && !next) {
                        while (outcomes.size() < run.size()) {
                            outcomes.add(Outcome.GAP);
                        }
                        break;
                    }
                    ReadModelChange change = step.change();
                    if (change instanceof ReadModelChange.Put put) {
                        state = parse(put.json());
                        deleted = false;
                    } else if (change instanceof ReadModelChange.Merge merge) {
                        state = state == null ? new LinkedHashMap<>() : state;
                        state.putAll(parse(merge.json()));
                        deleted = false;
                    } else if (change instanceof ReadModelChange.Remove) {
                        state = null;
                        deleted = true;
                    }
                    if (skipReason != null) {
                        skipped.add(new Skipped(step.event().eventId(), skipReason));
                    }
                    applied.add(version);
                    at = version;
                    last = step.event();
                    outcomes.add(Outcome.APPLIED);
                }
                if (last != null) {
                    documents.put(key(projection, id), new Document(at, deleted, state, last.eventId(), List.copyOf(applied),
                        List.copyOf(skipped)));
                    log.computeIfAbsent(projection.name(), name -> new ArrayList<>()).add(new Written(id, at));
                }
                return outcomes;
            }
        }
    }
}
