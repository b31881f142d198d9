package dev.ferry.it.support;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.bson.BsonDocument;
import org.bson.BsonValue;
import org.bson.json.JsonParseException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.ferry.core.wire.FerryHeaders;

/**
 * An entity's topic as a consumer sees it: per key, the records in partition order, and the same with every
 * re-published record (a replay after a failover: same version, same kind) left out — what an idempotent consumer
 * applies.
 */
public final class EntityTopic {

    /** One record of the topic: an entity change, or a tombstone (no value). */
    public record Entry(String key, String version, String operation, BsonDocument document, boolean tombstone,
                        boolean copied) {
    }

    private final Map<String, List<Entry>> byKey = new LinkedHashMap<>();
    private final Map<String, List<Entry>> firstSeenByKey = new LinkedHashMap<>();
    private int records;

    private EntityTopic(List<ConsumerRecord<String, byte[]>> raw) {
        Map<String, Set<String>> seen = new LinkedHashMap<>();
        for (ConsumerRecord<String, byte[]> record : raw) {
            records++;
            Entry entry = entry(record);
            byKey.computeIfAbsent(entry.key(), k -> new ArrayList<>()).add(entry);
            if (seen.computeIfAbsent(entry.key(), k -> new HashSet<>()).add(entry.version() + "/" + entry.tombstone())) {
                firstSeenByKey.computeIfAbsent(entry.key(), k -> new ArrayList<>()).add(entry);
            }
        }
    }

    public static EntityTopic read(TopicRecords topics, String topic) {
        return new EntityTopic(topics.readRaw(topic));
    }

    /** The topic as {@code raw} holds it (its records in partition and offset order). */
    public static EntityTopic of(List<ConsumerRecord<String, byte[]>> raw) {
        return new EntityTopic(raw);
    }

    private static Entry entry(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null) {
            return new Entry(record.key(), TopicRecords.header(record, FerryHeaders.CE_VERSION), null, null, true, false);
        }
        String json = new String(record.value(), UTF_8);
        BsonDocument value;
        try {
            value = BsonDocument.parse(json);
        } catch (JsonParseException | IllegalArgumentException e) {
            // A document whose own fields look like Extended JSON's type wrappers ({"$date": "d"}, {"$oid": "x"})
            // cannot be read back as BSON: its change is still there, without the document.
            return unparsedDocument(record, json);
        }
        BsonValue document = value.get("document");
        String version = value.getString("version").getValue();
        return new Entry(record.key(), version, value.getString("operation").getValue(),
            document == null || document.isNull() ? null : document.asDocument(), false,
            version.endsWith(".0000000000"));
    }

    private static Entry unparsedDocument(ConsumerRecord<String, byte[]> record, String json) {
        try {
            JsonNode value = new ObjectMapper().readTree(json);
            String version = value.path("version").asText();
            return new Entry(record.key(), version, value.path("operation").asText(), null, false,
                version.endsWith(".0000000000"));
        } catch (IOException e) {
            throw new UncheckedIOException("an entity record that is not JSON: " + json, e);
        }
    }

    public int records() {
        return records;
    }

    public Set<String> keys() {
        return firstSeenByKey.keySet();
    }

    /** The key's records as an idempotent consumer applies them: each version (and its tombstone) once. */
    public List<Entry> applied(String key) {
        return firstSeenByKey.getOrDefault(key, List.of());
    }

    /** The key's streamed operations (not the copy's), in the order applied. */
    public List<String> streamedOperations(String key) {
        return applied(key).stream().filter(e -> !e.tombstone() && !e.copied()).map(Entry::operation).toList();
    }

    /** Records whose version is not above one applied before it for the same key (a tombstone shares its delete's). */
    public int orderViolations() {
        int violations = 0;
        for (List<Entry> entries : firstSeenByKey.values()) {
            String highest = null;
            for (Entry entry : entries) {
                if (entry.tombstone()) {
                    continue;
                }
                if (highest != null && entry.version().compareTo(highest) <= 0) {
                    violations++;
                }
                highest = highest == null || entry.version().compareTo(highest) > 0 ? entry.version() : highest;
            }
        }
        return violations;
    }

    /** Deletes not directly followed by their key's tombstone (same version), and tombstones without a delete. */
    public int misplacedTombstones() {
        int misplaced = 0;
        for (List<Entry> entries : firstSeenByKey.values()) {
            for (int i = 0; i < entries.size(); i++) {
                Entry entry = entries.get(i);
                boolean delete = !entry.tombstone() && "delete".equals(entry.operation());
                if (delete && (i + 1 == entries.size() || !entries.get(i + 1).tombstone()
                    || !entries.get(i + 1).version().equals(entry.version()))) {
                    misplaced++;
                }
                if (entry.tombstone() && (i == 0 || !"delete".equals(entries.get(i - 1).operation()))) {
                    misplaced++;
                }
            }
        }
        return misplaced;
    }

    /** The key's last applied record: its document, or null after a delete. */
    public BsonDocument lastDocument(String key) {
        List<Entry> entries = applied(key);
        for (int i = entries.size() - 1; i >= 0; i--) {
            if (!entries.get(i).tombstone()) {
                return entries.get(i).document();
            }
        }
        return null;
    }
}
