package dev.ferry.it.support;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

import org.bson.BsonArray;
import org.bson.BsonBinary;
import org.bson.BsonBoolean;
import org.bson.BsonDateTime;
import org.bson.BsonDbPointer;
import org.bson.BsonDecimal128;
import org.bson.BsonDocument;
import org.bson.BsonDouble;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonJavaScript;
import org.bson.BsonMaxKey;
import org.bson.BsonMinKey;
import org.bson.BsonNull;
import org.bson.BsonObjectId;
import org.bson.BsonRegularExpression;
import org.bson.BsonString;
import org.bson.BsonSymbol;
import org.bson.BsonTimestamp;
import org.bson.BsonValue;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;

/**
 * What the bad-input fuzz test writes with the raw driver: a random mix of valid commits (Ferry's event store), mapped
 * events (two event stores in the users' own schema) and entity changes (a CRUD collection), and of documents broken
 * in random ways — wrong BSON types, missing and extra fields, bad names, reserved names, empty and blank strings,
 * broken version relations, huge values, deep nesting, {@code $}-prefixed and dotted keys, unicode edge cases. Values
 * are drawn by {@link Gen}s (edge cases included) from one {@link Random}, so a seed replays a run.
 * <p>
 * Each write names its category and whether the generator meant it valid; the test's oracle ({@link SourceContracts})
 * judges what was actually stored, independently of Ferry. Every category is drawn at least once before the rest are
 * drawn by weight, so a small run covers them all.
 */
public final class FuzzedWrites {

    /** Where a write goes. */
    public enum Source { COMMITS, STREAMS, STAFF, ENTITIES }

    /** What a write does: inserts (every source), or an entity's update ($set), replacement or delete. */
    public enum Op { INSERT, SET, REPLACE, DELETE }

    /**
     * One write with the raw driver.
     *
     * @param id       the document's {@code _id} (set by the generator, so the stored document can be found again)
     * @param document the document inserted or the replacement; the {@code $set} fields; null for a delete
     */
    public record Write(int index, Source source, String category, boolean meantValid, Op op, BsonValue id,
                        BsonDocument document) {
    }

    /** Aggregate types of valid commits: one topic each (a 200-character one, the contract's longest). */
    public static final List<String> COMMIT_TYPES = List.of("order", "in.voice", "Ship_ment-2", "L".repeat(199) + "9");
    /**
     * Aggregate types whose topics Kafka refuses once those of valid ones exist: they differ from one of them only in
     * '.' against '_' (Kafka's metrics would confuse them).
     */
    private static final List<String> COLLIDING_TYPES = List.of("in_voice", "Ship.ment-2");
    /** Characters a String.isBlank() sees as white space and a regex's ASCII \s does not (nor, for some, ECMA's). */
    private static final String UNUSUAL_WHITE_SPACE = "\u001C\u001D\u001E\u001F\u2003\u3000\u1680\u2028\u00A0\u0085";
    /** Aggregate types the streamId store's documents name ({@code <type>-<id>}). */
    public static final List<String> STREAM_TYPES = List.of("patient", "visit");
    /** The constant type of the staff store. */
    public static final String STAFF_TYPE = "practitioner";
    /** The entity of the CRUD collection. */
    public static final String ENTITY = "person";
    /** Every aggregate type of valid events: the test creates their topics before writing. */
    public static final List<String> EVENT_TYPES = java.util.stream.Stream.of(COMMIT_TYPES, STREAM_TYPES,
        List.of(STAFF_TYPE)).flatMap(List::stream).toList();

    private static final int AGGREGATES_PER_TYPE = 6;
    private static final int STREAMS_PER_TYPE = 6;
    private static final int PRACTITIONERS = 6;
    private static final List<String> ASCII_BLANKS = List.of("", " ", "\t", "\n", "  \r\n ", "\u000B", "\f");

    private final Random random;
    private final List<Category> categories = new ArrayList<>();
    private final List<Write> writes = new ArrayList<>();
    private final Map<String, Long> nextCommitVersion = new HashMap<>();
    private final Map<String, Long> nextRevision = new HashMap<>();
    private final Map<String, Long> nextStaffVersion = new HashMap<>();
    /** Entity ids that exist, by key, and those deleted (to re-create); oversized ones are only ever deleted. */
    private final Map<String, BsonValue> alive = new LinkedHashMap<>();
    private final Set<String> oversizedAlive = new java.util.HashSet<>();
    private final List<BsonValue> deleted = new ArrayList<>();
    private long counter;
    /** The category being drawn. */
    private Category current;

    // Values.
    private final Gen<String> identifier = Gen.strings(Gen.chars("abcdefghijklmnopqrstuvwxyz0123456789"), 1, 10);
    private final Gen<String> unicodeEdge = Gen.oneOf("é", "e\u0301", "日本語", "👩‍⚕️", "🚑", "\u202Eevil",
        "\uFEFFbom", "a\u200Db", "\u0000nul", "tab\tnew\nline", "\"quoted\"", "back\\slash", "\uD800lone", "lone\uDFFF",
        "ﷺ", "Ω≈ç√", "\u00A0nbsp", "\u2028sep", "{\"$oid\": \"x\"}", "null", "<script>", "\u0085nel", "😀".repeat(40));
    private final Gen<String> text = Gen.frequency(
        Gen.weighted(4, identifier),
        Gen.weighted(3, Gen.strings(Gen.anyChar(), 0, 12)),
        Gen.weighted(3, unicodeEdge),
        Gen.weighted(1, Gen.strings(Gen.chars(" \t\n"), 0, 3)));
    /** A non-blank text for ids and names: something visible around whatever edge case was drawn. */
    private final Gen<String> visibleText = Gen.frequency(
        Gen.weighted(3, identifier),
        Gen.weighted(2, unicodeEdge.map(s -> "u" + s)),
        Gen.weighted(2, Gen.strings(Gen.anyChar(), 0, 8).map(s -> "x" + s)));
    private final Gen<String> oddKey = Gen.frequency(
        Gen.weighted(5, identifier),
        Gen.weighted(2, identifier.map(k -> "$" + k)),
        Gen.weighted(2, Gen.oneOf("a.b", "x.y.z", ".lead", "trail.", "$set.x")),
        Gen.weighted(2, unicodeEdge.filter(k -> k.indexOf('\0') < 0)),
        Gen.weighted(1, Gen.oneOf("", " ", "_id", "$numberLong", "$oid", "$date")));
    private final Gen<BsonValue> plainScalar = Gen.frequency(
        Gen.weighted(3, text.map(s -> (BsonValue) new BsonString(s))),
        Gen.weighted(2, Gen.ints().map(i -> (BsonValue) new BsonInt32(i))),
        Gen.weighted(2, Gen.longs().map(l -> (BsonValue) new BsonInt64(l))),
        Gen.weighted(2, Gen.doubles().map(d -> (BsonValue) new BsonDouble(d))),
        Gen.weighted(1, Gen.oneOf(true, false).map(b -> (BsonValue) BsonBoolean.valueOf(b))),
        Gen.weighted(1, Gen.constant((BsonValue) BsonNull.VALUE)),
        Gen.weighted(1, Gen.longs().map(l -> (BsonValue) new BsonDateTime(l))));
    private final Gen<BsonValue> exoticScalar = Gen.frequency(
        Gen.weighted(1, Gen.oneOf(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, Double.MIN_VALUE)
            .map(d -> (BsonValue) new BsonDouble(d))),
        Gen.weighted(1, Gen.decimals(4).map(d -> (BsonValue) new BsonDecimal128(new Decimal128(d)))),
        Gen.weighted(1, Gen.oneOf(Decimal128.NaN, Decimal128.POSITIVE_INFINITY, Decimal128.NEGATIVE_ZERO)
            .map(d -> (BsonValue) new BsonDecimal128(d))),
        Gen.weighted(1, Gen.bytes(16).map(b -> (BsonValue) new BsonBinary(b))),
        Gen.weighted(1, Gen.constant(0).map(x -> (BsonValue) new BsonBinary(UUID.randomUUID()))),
        Gen.weighted(1, Gen.constant(0).map(x -> (BsonValue) new BsonObjectId(new ObjectId()))),
        Gen.weighted(1, Gen.ints(0, Integer.MAX_VALUE).map(i -> (BsonValue) new BsonTimestamp(i, 7))),
        Gen.weighted(1, Gen.oneOf((BsonValue) new BsonMinKey(), new BsonMaxKey())),
        Gen.weighted(1, Gen.constant((BsonValue) new BsonRegularExpression("^a.*\\d$", "im"))),
        Gen.weighted(1, Gen.constant((BsonValue) new BsonJavaScript("function () { return 1; }"))),
        Gen.weighted(1, identifier.map(s -> (BsonValue) new BsonSymbol(s))),
        Gen.weighted(1, Gen.constant(0).map(x -> (BsonValue) new BsonDbPointer("db.coll", new ObjectId()))));
    /** The same without the deprecated types (symbol, DBPointer) that the embedded MongoDB cannot decode. */
    private final Gen<BsonValue> currentExoticScalar = exoticScalar.filter(v -> !v.isSymbol() && !v.isDBPointer());
    private final Gen<BsonValue> scalar;
    private final Gen<BsonValue> tree;
    private final Gen<BsonDocument> oddDocument;
    private final Gen<BsonDocument> plainDocument = Gen.maps(identifier, plainScalar, 4)
        .map(FuzzedWrites::document);
    /** Values of every BSON type, to put where the contract wants another. */
    private final Gen<BsonValue> anyType;

    /** Aggregate types no topic can have: characters outside [A-Za-z0-9._-], empty, longer than 200. */
    private final Gen<String> badAggregateType = Gen.frequency(
        Gen.weighted(3, text.filter(s -> !s.matches("[A-Za-z0-9._-]+"))),
        Gen.weighted(2, Gen.oneOf("", " ", "order ", "ör", "a/b", "a:b", "ord*er", "🚑", "in voice", "a\u0000b")),
        Gen.weighted(1, Gen.ints(201, 400).map("t"::repeat)));
    /** The type part of a streamId no topic can have (the prefix and the type are at most 249 characters). */
    private final Gen<String> badStreamType = Gen.frequency(
        Gen.weighted(2, Gen.oneOf("bad type", "é", "a/b", "a:b", "🚑", "ty pe", "a\u0000b")),
        Gen.weighted(1, Gen.ints(241, 300).map("p"::repeat)));

    /** @param legacyTypes whether values may be of the deprecated BSON types symbol and DBPointer */
    private FuzzedWrites(long seed, boolean legacyTypes) {
        this.random = new Random(seed);
        scalar = Gen.frequency(Gen.weighted(6, plainScalar), Gen.weighted(1, legacyTypes ? exoticScalar
            : currentExoticScalar));
        tree = tree(3);
        oddDocument = Gen.maps(oddKey, tree, 6).map(FuzzedWrites::document);
        anyType = Gen.frequency(
            Gen.weighted(3, scalar),
            Gen.weighted(1, Gen.oneOf(1.0, 3.0, 1.5, 0.0).map(d -> (BsonValue) new BsonDouble(d))),
            Gen.weighted(1, Gen.constant((BsonValue) new BsonDecimal128(Decimal128.parse("3")))),
            Gen.weighted(1, Gen.oneOf("1", "3", "2026-12-01T10:00:00Z", "true")
                .map(s -> (BsonValue) new BsonString(s))),
            Gen.weighted(1, plainDocument.map(d -> (BsonValue) d)),
            Gen.weighted(1, plainScalar.list(3).map(l -> (BsonValue) new BsonArray(l))));
        // Commits.
        valid("commit", Source.COMMITS, 12, this::validCommit);
        valid("commit, int32 versions, no metadata", Source.COMMITS, 4, this::int32Commit);
        valid("commit, unusual content (unicode, $ and dotted keys, BSON types, extra fields)", Source.COMMITS, 5,
            this::unusualCommit);
        valid("commit, deep nesting", Source.COMMITS, 1, () -> commitWithPayload(nested(random(20, 90))));
        valid("commit, large (< 1 MiB records)", Source.COMMITS, 1, () -> commitWithPayload(
            new BsonDocument("blob", new BsonString("x".repeat(random(100_000, 600_000))))));
        valid("commit, versions up to Long.MAX_VALUE", Source.COMMITS, 1, this::maxVersionCommit);
        valid("commit, ids of non-ASCII or control white space (\\S in the schema: ASCII white space, as MongoDB reads it)",
            Source.COMMITS, 1, this::unusualWhiteSpaceCommit);
        invalid("commit: a required field missing", Source.COMMITS, 3, this::commitMissingField);
        invalid("commit: a field of a wrong BSON type", Source.COMMITS, 4, this::commitWrongType);
        invalid("commit: aggregateType not a topic name", Source.COMMITS, 2, this::commitBadType);
        invalid("commit: aggregateType reserved", Source.COMMITS, 1, () -> brokenCommit(c -> c.put("aggregateType",
            new BsonString("dead-letter"))));
        invalid("commit: an empty or blank string", Source.COMMITS, 2, this::commitBlank);
        invalid("commit: versions out of relation", Source.COMMITS, 2, this::commitVersionRelation);
        invalid("commit: a version below 1", Source.COMMITS, 1, this::commitBelowMinimum);
        invalid("commit: no events", Source.COMMITS, 1, () -> brokenCommit(c -> c.put("events", new BsonArray())));
        invalid("commit: aggregateType whose topic collides with an existing one ('.' and '_')", Source.COMMITS, 1,
            () -> brokenCommit(c -> c.put("aggregateType", new BsonString(pickOf(COLLIDING_TYPES)))));
        invalid("commit: over max.request.size", Source.COMMITS, 1, this::oversizedCommit);
        // Mapped events.
        valid("mapped event (streamId)", Source.STREAMS, 10, () -> streamEvent(false));
        valid("mapped event, unusual values (int64/double revision, ISO time, unicode id)", Source.STREAMS, 3,
            () -> streamEvent(true));
        valid("mapped event, rest-of-document payload ($ and dotted keys, nesting)", Source.STAFF, 5, this::staffEvent);
        invalid("mapped: a mapped field missing or null", Source.STREAMS, 2, this::mappedMissing);
        invalid("mapped: a mapped field of a wrong type", Source.STREAMS, 3, this::mappedWrongType);
        invalid("mapped: streamId does not split", Source.STREAMS, 1, this::streamUnmatched);
        invalid("mapped: streamId with nothing before its first '-'", Source.STREAMS, 1, () -> brokenStreamEvent(e ->
            e.put("streamId", new BsonString("-" + draw(identifier) + "-" + ++counter))));
        invalid("mapped: type not a topic name", Source.STREAMS, 1, this::streamBadType);
        invalid("mapped: version out of range", Source.STREAMS, 1, this::mappedVersionOutOfRange);
        invalid("mapped: _id not an ObjectId, no time", Source.STAFF, 1, this::staffWithoutObjectId);
        invalid("mapped: over max.request.size", Source.STREAMS, 1, this::oversizedStreamEvent);
        // Entities.
        valid("entity create", Source.ENTITIES, 6, this::entityCreate);
        valid("entity update ($set)", Source.ENTITIES, 6, () -> entityUpdate(false));
        valid("entity replace", Source.ENTITIES, 3, () -> entityUpdate(true));
        valid("entity delete", Source.ENTITIES, 3, this::entityDelete);
        valid("entity re-create", Source.ENTITIES, 1, this::entityRecreate);
        valid("entity, unusual content ($ and dotted keys, unicode, nesting, BSON types)", Source.ENTITIES, 3,
            this::entityUnusual);
        invalid("entity: over maxRecordBytes", Source.ENTITIES, 1, this::entityOversized);
    }

    /**
     * The writes of one run: every category at least once, then by weight, {@code documents} in all (an oversized
     * entity may be followed later by its delete, counted as an entity delete).
     *
     * @param legacyTypes whether values may be of the deprecated BSON types symbol and DBPointer (a real MongoDB
     *                    stores them; the embedded one cannot decode them)
     */
    public static List<Write> plan(long seed, int documents, boolean legacyTypes) {
        FuzzedWrites fuzz = new FuzzedWrites(seed, legacyTypes);
        List<Category> first = new ArrayList<>(fuzz.categories);
        Collections.shuffle(first, fuzz.random);
        for (Category category : first) {
            fuzz.add(category);
        }
        while (fuzz.writes.size() < documents) {
            fuzz.add(fuzz.pick());
        }
        return List.copyOf(fuzz.writes);
    }

    /** Every category's name, in the order they are reported. */
    public static List<String> categories() {
        return new FuzzedWrites(0, false).categories.stream().map(Category::name).toList();
    }

    /** A kind of write: what the generator means it to be, how often it is drawn, how it is made. */
    private record Category(String name, Source source, boolean valid, int weight, Supplier<Write> make) {
    }

    private void valid(String name, Source source, int weight, Supplier<Write> make) {
        categories.add(new Category(name, source, true, weight, make));
    }

    private void invalid(String name, Source source, int weight, Supplier<Write> make) {
        categories.add(new Category(name, source, false, weight, make));
    }

    private Category pick() {
        int n = random.nextInt(categories.stream().mapToInt(Category::weight).sum());
        for (Category category : categories) {
            n -= category.weight();
            if (n < 0) {
                return category;
            }
        }
        throw new IllegalStateException();
    }

    private void add(Category category) {
        current = category;
        writes.add(category.make().get());
    }

    private Write write(Source source, Op op, BsonValue id, BsonDocument document) {
        return new Write(writes.size(), source, current.name(), current.valid(), op, id, document);
    }

    // ---------------------------------------------------------------- commits

    private Write validCommit() {
        String type = pickOf(COMMIT_TYPES);
        String id = "a" + random.nextInt(AGGREGATES_PER_TYPE);
        return commit(type, id, random(1, 4), false, false, null);
    }

    private Write int32Commit() {
        return commit(pickOf(COMMIT_TYPES), "a" + random.nextInt(AGGREGATES_PER_TYPE), random(1, 3), true, true, null);
    }

    private Write unusualCommit() {
        // A fresh aggregate with an unusual id, or a known one.
        String id = random.nextBoolean() ? "a" + random.nextInt(AGGREGATES_PER_TYPE) : draw(visibleText) + "#" + ++counter;
        Write write = commit(pickOf(COMMIT_TYPES), id, random(1, 3), random.nextBoolean(), random.nextBoolean(),
            this::oddPayload);
        BsonDocument commit = write.document();
        for (int i = random(0, 3); i > 0; i--) {
            String key = "x" + draw(oddKey);
            commit.put(key, draw(tree));
        }
        for (BsonValue event : commit.getArray("events")) {
            if (random.nextInt(3) == 0) {
                event.asDocument().put("extra" + draw(oddKey), draw(tree));
            }
            if (random.nextInt(3) == 0) {
                event.asDocument().put("eventType", new BsonString(draw(visibleText)));
            }
            if (random.nextInt(4) == 0) {
                event.asDocument().put("timestamp", new BsonDateTime(draw(Gen.longs())));
            }
        }
        if (random.nextInt(4) == 0) {
            commit.put("committedAt", new BsonDateTime(draw(Gen.longs())));
        }
        return write;
    }

    /** A new aggregate whose id, event ids and types are white space to a String.isBlank() but not to the schema. */
    private Write unusualWhiteSpaceCommit() {
        String id = whiteSpace(++counter);
        Write write = commit(pickOf(COMMIT_TYPES), id, random(1, 2), false, false, null);
        for (BsonValue event : write.document().getArray("events")) {
            event.asDocument().put("eventId", new BsonString(whiteSpace(++counter)));
            if (random.nextBoolean()) {
                event.asDocument().put("eventType", new BsonString(whiteSpace(random(0, 9))));
            }
        }
        return write;
    }

    /** A string of unusual white space only, distinct for each {@code n}. */
    private static String whiteSpace(long n) {
        StringBuilder text = new StringBuilder();
        do {
            text.append(UNUSUAL_WHITE_SPACE.charAt((int) (n % UNUSUAL_WHITE_SPACE.length())));
            n /= UNUSUAL_WHITE_SPACE.length();
        } while (n > 0);
        return text.toString();
    }

    private Write commitWithPayload(BsonDocument payload) {
        return commit(pickOf(COMMIT_TYPES), "a" + random.nextInt(AGGREGATES_PER_TYPE), 1, false, false, () -> payload);
    }

    private Write maxVersionCommit() {
        int events = random(1, 3);
        String id = "max-" + ++counter;
        nextCommitVersion.put(COMMIT_TYPES.get(0) + "/" + id, Long.MAX_VALUE - events + 1);
        return commit(COMMIT_TYPES.get(0), id, events, false, false, null);
    }

    /** A valid commit continuing the aggregate's versions. */
    private Write commit(String type, String id, int events, boolean int32, boolean noMetadata,
                         Supplier<BsonDocument> payloads) {
        String aggregate = type + "/" + id;
        long first = nextCommitVersion.getOrDefault(aggregate, 1L);
        nextCommitVersion.put(aggregate, first + events);
        ObjectId objectId = new ObjectId();
        return write(Source.COMMITS, Op.INSERT, new BsonObjectId(objectId), commitDocument(objectId, type, id, first,
            events, int32, noMetadata, payloads == null ? () -> draw(plainDocument) : payloads));
    }

    private BsonDocument commitDocument(ObjectId objectId, String type, String id, long first, int events, boolean int32,
                                        boolean noMetadata, Supplier<BsonDocument> payloads) {
        Instant at = Instant.ofEpochMilli(1_790_000_000_000L + random.nextInt(1_000_000_000));
        BsonArray array = new BsonArray();
        for (int i = 0; i < events; i++) {
            BsonDocument event = new BsonDocument("eventId", new BsonString("e" + ++counter + "-" + draw(identifier)))
                .append("version", version(first + i, int32))
                .append("eventType", new BsonString(pickOf(List.of("Created", "Moved", "Noted", "Closed"))))
                .append("timestamp", new BsonDateTime(at.toEpochMilli()))
                .append("payload", payloads.get());
            if (!noMetadata) {
                event.append("metadata", new BsonDocument("correlationId", random.nextBoolean()
                    ? new BsonString(draw(text)) : BsonNull.VALUE).append("causationId", BsonNull.VALUE));
            }
            array.add(event);
        }
        return new BsonDocument("_id", new BsonObjectId(objectId)).append("aggregateType", new BsonString(type))
            .append("aggregateId", new BsonString(id)).append("firstVersion", version(first, int32))
            .append("lastVersion", version(first + events - 1, int32))
            .append("committedAt", new BsonDateTime(at.toEpochMilli())).append("events", array);
    }

    private static BsonValue version(long version, boolean int32) {
        return int32 && version <= Integer.MAX_VALUE ? new BsonInt32((int) version) : new BsonInt64(version);
    }

    private BsonDocument oddPayload() {
        BsonDocument payload = draw(oddDocument);
        if (random.nextInt(5) == 0) {
            payload.put("deep", nested(random(5, 40)));
        }
        return payload;
    }

    /** An invalid commit: a valid one of an aggregate of its own, then {@code breaking}. */
    private Write brokenCommit(Consumer<BsonDocument> breaking) {
        ObjectId objectId = new ObjectId();
        BsonDocument commit = commitDocument(objectId, pickOf(COMMIT_TYPES), "bad-" + ++counter,
            random(1, 1_000_000_000), random(1, 3), random.nextBoolean(), random.nextBoolean(), () -> draw(plainDocument));
        breaking.accept(commit);
        return write(Source.COMMITS, Op.INSERT, new BsonObjectId(objectId), commit);
    }

    /** The paths of a commit the contract constrains, with the BSON types it allows there. */
    private static final Map<String, Set<String>> COMMIT_FIELDS = Map.ofEntries(
        Map.entry("aggregateType", Set.of("STRING")), Map.entry("aggregateId", Set.of("STRING")),
        Map.entry("firstVersion", Set.of("INT32", "INT64")), Map.entry("lastVersion", Set.of("INT32", "INT64")),
        Map.entry("committedAt", Set.of("DATE_TIME")), Map.entry("events", Set.of("ARRAY")),
        Map.entry("events.$", Set.of("DOCUMENT")), Map.entry("events.$.eventId", Set.of("STRING")),
        Map.entry("events.$.version", Set.of("INT32", "INT64")), Map.entry("events.$.eventType", Set.of("STRING")),
        Map.entry("events.$.timestamp", Set.of("DATE_TIME")), Map.entry("events.$.payload", Set.of("DOCUMENT")),
        Map.entry("events.$.metadata", Set.of("DOCUMENT")),
        Map.entry("events.$.metadata.correlationId", Set.of("STRING", "NULL")),
        Map.entry("events.$.metadata.causationId", Set.of("STRING", "NULL")));
    private static final List<String> REQUIRED = List.of("aggregateType", "aggregateId", "firstVersion", "lastVersion",
        "committedAt", "events", "events.$.eventId", "events.$.version", "events.$.eventType", "events.$.timestamp",
        "events.$.payload");

    private Write commitMissingField() {
        String path = pickOf(REQUIRED);
        return brokenCommit(c -> put(c, path, null));
    }

    private Write commitWrongType() {
        List<String> paths = new ArrayList<>(COMMIT_FIELDS.keySet());
        Collections.sort(paths);
        String path = pickOf(paths);
        Set<String> allowed = COMMIT_FIELDS.get(path);
        BsonValue wrong = drawWhere(anyType, (v -> !allowed.contains(v.getBsonType().name())));
        return brokenCommit(c -> {
            if (path.startsWith("events.$.metadata")) {
                eventOf(c).put("metadata", new BsonDocument("correlationId", BsonNull.VALUE));
            }
            put(c, path, wrong);
        });
    }

    private Write commitBadType() {
        String type = draw(badAggregateType);
        return brokenCommit(c -> c.put("aggregateType", new BsonString(type)));
    }

    private Write commitBlank() {
        String path = pickOf(List.of("aggregateId", "events.$.eventId", "events.$.eventType"));
        String blank = pickOf(ASCII_BLANKS);
        return brokenCommit(c -> put(c, path, new BsonString(blank)));
    }

    private Write commitVersionRelation() {
        int kind = random.nextInt(4);
        return brokenCommit(c -> {
            long first = c.getNumber("firstVersion").longValue();
            BsonArray events = c.getArray("events");
            switch (kind) {
                case 0 -> c.put("lastVersion", new BsonInt64(first + events.size() - 1 + pickOf(List.of(1, 2, 7))));
                case 1 -> { // a gap or a repeat inside the commit
                    events.add(events.get(0).asDocument().clone().append("eventId", new BsonString("e" + ++counter)));
                    int last = events.size() - 1;
                    events.get(last).asDocument().put("version", new BsonInt64(first + last + pickOf(List.of(-1, 1, 5))));
                    c.put("lastVersion", new BsonInt64(first + last));
                }
                case 2 -> events.get(0).asDocument().put("version", new BsonInt64(first + 1)); // not firstVersion
                default -> { // past Long.MAX_VALUE: the second event's version cannot be firstVersion + 1
                    c.put("firstVersion", new BsonInt64(Long.MAX_VALUE));
                    c.put("lastVersion", new BsonInt64(Long.MAX_VALUE));
                    BsonDocument second = events.get(0).asDocument().clone();
                    events.clear();
                    events.add(second.clone().append("version", new BsonInt64(Long.MAX_VALUE)));
                    events.add(second.append("version", new BsonInt64(Long.MAX_VALUE))
                        .append("eventId", new BsonString("e" + ++counter)));
                }
            }
        });
    }

    private Write commitBelowMinimum() {
        long first = pickOf(List.of(0L, -1L, -1_000L, (long) Integer.MIN_VALUE, Long.MIN_VALUE));
        return brokenCommit(c -> {
            BsonArray events = c.getArray("events");
            c.put("firstVersion", new BsonInt64(first));
            c.put("lastVersion", new BsonInt64(first + events.size() - 1));
            for (int i = 0; i < events.size(); i++) {
                events.get(i).asDocument().put("version", new BsonInt64(first + i));
            }
        });
    }

    private Write oversizedCommit() {
        int kind = random.nextInt(3);
        return brokenCommit(c -> {
            if (kind == 0) { // an aggregate id that is the key and a header: twice in the record
                c.put("aggregateId", new BsonString("big-" + ++counter + "-" + "i".repeat(random(620_000, 700_000))));
            } else {
                eventOf(c).put("payload", new BsonDocument("blob", new BsonString("x".repeat(random(1_250_000,
                    1_500_000)))));
            }
        });
    }

    private static BsonDocument eventOf(BsonDocument commit) {
        return commit.getArray("events").get(0).asDocument();
    }

    /** Sets (or, for null, removes) a field at a path such as {@code events.$.metadata.correlationId} (first event). */
    private static void put(BsonDocument commit, String path, BsonValue value) {
        BsonDocument parent = commit;
        String[] parts = path.split("\\.");
        for (int i = 0; i < parts.length - 1; i++) {
            if (parts[i + 1].equals("$")) {
                if (i + 2 == parts.length) { // the event itself
                    BsonArray events = parent.getArray(parts[i]);
                    if (value == null) {
                        events.remove(0);
                    } else {
                        events.set(0, value);
                    }
                    return;
                }
                parent = parent.getArray(parts[i]).get(0).asDocument();
                i++;
            } else {
                parent = parent.getDocument(parts[i]);
            }
        }
        String last = parts[parts.length - 1];
        if (value == null) {
            parent.remove(last);
        } else {
            parent.put(last, value);
        }
    }

    // ---------------------------------------------------------------- mapped events

    /** A valid event of the streamId store: {@code <type>-<id>}, revisions from 0. */
    private Write streamEvent(boolean unusual) {
        String stream = unusual && random.nextBoolean()
            ? pickOf(STREAM_TYPES) + "-" + draw(visibleText) + "-" + ++counter // an id with a dash, unicode
            : pickOf(STREAM_TYPES) + "-s" + random.nextInt(STREAMS_PER_TYPE);
        long revision = nextRevision.merge(stream, 1L, Long::sum) - 1;
        BsonValue id = !unusual || random.nextBoolean() ? new BsonObjectId(new ObjectId())
            : random.nextBoolean() ? new BsonString("m" + ++counter + draw(visibleText)) : new BsonInt64(++counter);
        BsonDocument event = streamDocument(id, stream, revision);
        if (unusual) {
            event.put("revision", pickOf(List.<BsonValue>of(new BsonInt64(revision), new BsonDouble(revision),
                new BsonInt32((int) revision))));
            if (random.nextBoolean()) {
                Instant at = Instant.ofEpochMilli(draw(Gen.longs(-50_000_000_000_000L,
                    250_000_000_000_000L)));
                event.put("createdAt", new BsonString(random.nextBoolean() ? at.toString()
                    : at.atOffset(ZoneOffset.ofHours(random(-12, 14))).toString()));
            }
            event.put("data", oddPayload());
            event.put("x" + draw(oddKey), draw(tree));
        }
        return write(Source.STREAMS, Op.INSERT, id, event);
    }

    private BsonDocument streamDocument(BsonValue id, String stream, long revision) {
        BsonDocument event = new BsonDocument("_id", id).append("streamId", new BsonString(stream))
            .append("type", new BsonString(pickOf(List.of("Registered", "Changed", "Discharged"))))
            .append("revision", new BsonInt32((int) revision))
            .append("createdAt", new BsonDateTime(1_790_000_000_000L + random.nextInt(1_000_000_000)))
            .append("data", draw(plainDocument));
        if (random.nextBoolean()) {
            event.append("meta", new BsonDocument("correlationId", random.nextBoolean() ? new BsonString(draw(text))
                : BsonNull.VALUE));
        }
        return event;
    }

    /** A broken event of the streamId store, of a stream of its own. */
    private Write brokenStreamEvent(Consumer<BsonDocument> breaking) {
        BsonValue id = new BsonObjectId(new ObjectId());
        // A revision of its own too: a streamId broken to a constant ("-") must not collide on the unique index.
        BsonDocument event = streamDocument(id, pickOf(STREAM_TYPES) + "-bad" + ++counter, random(0, 1_000_000_000));
        event.put("meta", new BsonDocument("correlationId", BsonNull.VALUE));
        breaking.accept(event);
        return write(Source.STREAMS, Op.INSERT, event.get("_id"), event);
    }

    /** A valid event of the staff store: constant type, {@code v} from 1, the rest of the document its payload. */
    private Write staffEvent() {
        String practitioner = "pr-" + random.nextInt(PRACTITIONERS);
        long v = nextStaffVersion.merge(practitioner, 1L, Long::sum);
        BsonDocument event = staffDocument(practitioner, v);
        BsonDocument rest = draw(oddDocument);
        List.of("_id", "practitionerId", "v", "kind").forEach(rest::remove);
        event.putAll(rest);
        if (random.nextInt(3) == 0) {
            event.put("nested", nested(random(10, 80)));
        }
        return write(Source.STAFF, Op.INSERT, event.get("_id"), event);
    }

    private BsonDocument staffDocument(String practitioner, long v) {
        return new BsonDocument("_id", new BsonObjectId(new ObjectId()))
            .append("practitionerId", new BsonString(practitioner)).append("kind", new BsonString("Visited"))
            .append("v", v <= Integer.MAX_VALUE ? new BsonInt32((int) v) : new BsonInt64(v));
    }

    private Write brokenStaffEvent(Consumer<BsonDocument> breaking) {
        BsonDocument event = staffDocument("pr-bad" + ++counter, random(1, 5)).append("note", new BsonString(draw(text)));
        breaking.accept(event);
        return write(Source.STAFF, Op.INSERT, event.get("_id"), event);
    }

    private Write mappedMissing() {
        BsonValue nothing = random.nextBoolean() ? null : BsonNull.VALUE;
        if (random.nextInt(3) == 0) {
            String field = pickOf(List.of("practitionerId", "v", "kind"));
            return brokenStaffEvent(e -> set(e, field, nothing));
        }
        String field = pickOf(List.of("streamId", "revision", "type", "createdAt", "data"));
        return brokenStreamEvent(e -> set(e, field, nothing));
    }

    private Write mappedWrongType() {
        if (random.nextInt(4) == 0) {
            String field = pickOf(List.of("practitionerId", "v", "kind"));
            BsonValue wrong = field.equals("v") ? wrongVersion() : drawWhere(anyType, (v -> !v.isString() && !v.isNull()));
            return brokenStaffEvent(e -> e.put(field, wrong));
        }
        int kind = random.nextInt(7);
        return brokenStreamEvent(e -> {
            switch (kind) {
                case 0 -> e.put("revision", wrongVersion());
                case 1 -> e.put("streamId", drawWhere(anyType, (v -> !v.isString() && !v.isNull())));
                case 2 -> e.put("type", random.nextBoolean() ? new BsonString("")
                    : drawWhere(anyType, (v -> !v.isString() && !v.isNull())));
                case 3 -> e.put("createdAt", pickOf(List.<BsonValue>of(new BsonString("yesterday"),
                    new BsonString("2026-13-01T00:00:00Z"), new BsonString(""), new BsonInt64(1_790_000_000_000L),
                    new BsonTimestamp(1_790_000_000, 1), BsonBoolean.TRUE)));
                case 4 -> e.put("data", drawWhere(anyType, (v -> !v.isDocument() && !v.isNull())));
                case 5 -> e.put("meta", new BsonDocument("correlationId",
                    drawWhere(anyType, (v -> !v.isString() && !v.isNull()))));
                default -> e.put("_id", pickOf(List.<BsonValue>of(new BsonDouble(1.5 + ++counter),
                    new BsonDocument("k", new BsonInt64(++counter)), new BsonBinary(UUID.randomUUID()),
                    new BsonDecimal128(new Decimal128(++counter)))));
            }
        });
    }

    /** A version that is not an integer: a string, a fraction, a boolean, a Decimal128, a NaN. */
    private BsonValue wrongVersion() {
        return pickOf(List.<BsonValue>of(new BsonString("3"), new BsonDouble(1.5), new BsonDouble(Double.NaN),
            new BsonDouble(Double.POSITIVE_INFINITY), BsonBoolean.TRUE, new BsonDecimal128(Decimal128.parse("3")),
            new BsonArray(List.of(new BsonInt32(1))), new BsonDocument()));
    }

    private Write streamUnmatched() {
        String stream = pickOf(List.of("nodash" + ++counter, "patient-", "-", "-only" + ++counter, ""));
        return brokenStreamEvent(e -> e.put("streamId", new BsonString(stream)));
    }

    private Write streamBadType() {
        String type = draw(badStreamType);
        return brokenStreamEvent(e -> e.put("streamId", new BsonString(type + "-" + ++counter)));
    }

    private Write mappedVersionOutOfRange() {
        if (random.nextInt(3) == 0) {
            BsonValue v = pickOf(List.<BsonValue>of(new BsonInt32(0), new BsonInt32(-1), new BsonInt64(Long.MIN_VALUE)));
            return brokenStaffEvent(e -> e.put("v", v));
        }
        BsonValue revision = pickOf(List.<BsonValue>of(new BsonInt32(-1), new BsonInt32(Integer.MIN_VALUE),
            new BsonInt64(Long.MIN_VALUE), new BsonInt64(Long.MAX_VALUE), new BsonDouble(-3.0)));
        return brokenStreamEvent(e -> e.put("revision", revision));
    }

    private Write staffWithoutObjectId() {
        BsonValue id = new BsonString("s" + ++counter + draw(visibleText));
        return brokenStaffEvent(e -> e.put("_id", id));
    }

    private Write oversizedStreamEvent() {
        int size = random(1_250_000, 1_500_000);
        return brokenStreamEvent(e -> e.put("data", new BsonDocument("blob", new BsonString("x".repeat(size)))));
    }

    private static void set(BsonDocument document, String field, BsonValue value) {
        if (value == null) {
            document.remove(field);
        } else {
            document.put(field, value);
        }
    }

    // ---------------------------------------------------------------- entities

    private Write entityCreate() {
        BsonValue id = newEntityId();
        alive.put(SourceContracts.entityKey(id), id);
        return write(Source.ENTITIES, Op.INSERT, id, entityDocument(id, draw(plainDocument)));
    }

    private Write entityUpdate(boolean replace) {
        BsonValue id = aliveId(false);
        if (id == null) {
            return entityCreate();
        }
        if (replace) {
            return write(Source.ENTITIES, Op.REPLACE, id, entityDocument(id, draw(plainDocument)));
        }
        BsonDocument set = new BsonDocument("seq", new BsonInt64(++counter));
        set.put(pickOf(List.of("name", "age", "ward.bed", "tags")), draw(plainScalar));
        return write(Source.ENTITIES, Op.SET, id, set);
    }

    private Write entityDelete() {
        BsonValue id = aliveId(true);
        if (id == null) {
            return entityCreate();
        }
        String key = SourceContracts.entityKey(id);
        alive.remove(key);
        if (!oversizedAlive.remove(key)) {
            deleted.add(id);
        }
        return write(Source.ENTITIES, Op.DELETE, id, null);
    }

    private Write entityRecreate() {
        if (deleted.isEmpty()) {
            return entityCreate();
        }
        BsonValue id = deleted.remove(random.nextInt(deleted.size()));
        alive.put(SourceContracts.entityKey(id), id);
        return write(Source.ENTITIES, Op.INSERT, id, entityDocument(id, draw(plainDocument)));
    }

    private Write entityUnusual() {
        BsonDocument content = draw(oddDocument);
        content.remove("_id");
        if (random.nextInt(3) == 0) {
            content.put("deep", nested(random(10, 90)));
        }
        BsonValue existing = random.nextBoolean() ? aliveId(false) : null;
        if (existing != null) { // the driver refuses a replacement with top-level $-prefixed names; nested ones stay
            content.keySet().removeIf(name -> name.startsWith("$"));
            return write(Source.ENTITIES, Op.REPLACE, existing, entityDocument(existing, content));
        }
        BsonValue id = newEntityId();
        alive.put(SourceContracts.entityKey(id), id);
        return write(Source.ENTITIES, Op.INSERT, id, entityDocument(id, content));
    }

    private Write entityOversized() {
        BsonValue id = new BsonString("big-" + ++counter);
        String key = SourceContracts.entityKey(id);
        alive.put(key, id);
        oversizedAlive.add(key);
        return write(Source.ENTITIES, Op.INSERT, id, entityDocument(id, new BsonDocument("scan",
            new BsonString("x".repeat(random(1_250_000, 1_500_000))))));
    }

    private BsonDocument entityDocument(BsonValue id, BsonDocument content) {
        BsonDocument document = new BsonDocument("_id", id);
        document.putAll(content);
        document.put("seq", new BsonInt64(++counter)); // every replacement changes the document
        return document;
    }

    /** A new id of one of several BSON types; numbers are unique across types (MongoDB compares 5 and 5L equal). */
    private BsonValue newEntityId() {
        long n = ++counter;
        return switch (random.nextInt(10)) {
            case 0, 1, 2, 3 -> new BsonObjectId(new ObjectId());
            case 4, 5, 6 -> new BsonString(wellFormed("p" + n + "-" + draw(visibleText)));
            case 7 -> new BsonInt32((int) n);
            case 8 -> new BsonInt64(10_000_000_000L + n);
            default -> random.nextBoolean() ? new BsonDocument("ward", new BsonString("w" + n)).append("bed",
                new BsonInt32(random(1, 9))) : new BsonBinary(UUID.randomUUID());
        };
    }

    /**
     * {@code text} without lone surrogates, which UTF-8 cannot carry: the driver would store another string, and an
     * entity's expected key is computed from the id as written.
     */
    private static String wellFormed(String text) {
        StringBuilder clean = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                clean.append(c).append(text.charAt(++i));
            } else if (!Character.isSurrogate(c)) {
                clean.append(c);
            }
        }
        return clean.toString();
    }

    /** An existing id (an oversized one only where {@code oversizedToo}), or null if there is none. */
    private BsonValue aliveId(boolean oversizedToo) {
        List<String> keys = alive.keySet().stream().filter(k -> oversizedToo || !oversizedAlive.contains(k)).toList();
        return keys.isEmpty() ? null : alive.get(keys.get(random.nextInt(keys.size())));
    }

    // ---------------------------------------------------------------- values

    private Gen<BsonValue> tree(int depth) {
        if (depth == 0) {
            return scalar;
        }
        Gen<BsonValue> deeper = tree(depth - 1);
        return Gen.frequency(
            Gen.weighted(6, scalar),
            Gen.weighted(1, Gen.maps(oddKey, deeper, 4).map(m -> (BsonValue) document(m))),
            Gen.weighted(1, deeper.list(4).map(l -> (BsonValue) new BsonArray(l))));
    }

    private static BsonDocument document(Map<String, BsonValue> fields) {
        BsonDocument document = new BsonDocument();
        fields.forEach(document::put);
        return document;
    }

    /** A document nested {@code depth} levels deep, alternating documents and arrays. */
    private BsonDocument nested(int depth) {
        BsonValue inner = new BsonString(draw(text));
        for (int i = 0; i < depth - 1; i++) {
            inner = i % 3 == 2 ? new BsonArray(List.of(inner)) : new BsonDocument(i % 2 == 0 ? "n" : "$n" + i, inner);
        }
        return new BsonDocument("n", inner);
    }

    private <T> T draw(Gen<T> generator) {
        return generator.next(random);
    }

    /** A value of {@code generator} that {@code wanted} accepts. */
    private <T> T drawWhere(Gen<T> generator, Predicate<T> wanted) {
        return generator.filter(wanted).next(random);
    }

    private <T> T pickOf(List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    private int random(int from, int to) {
        return from + random.nextInt(to - from + 1);
    }
}
