package dev.ferry.local.demo.replication;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import org.bson.BsonDocument;

import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;

import dev.ferry.mongodb.entity.EntityKeys;
import dev.ferry.mongodb.replica.MongoReplicaWriter;

/**
 * Compares every document of the source with both replicas: the MongoDB replica's live documents without
 * {@code _ferry} must be BSON-equal (types included), the PostgreSQL replica's live rows' {@code document} jsonb,
 * parsed as Extended JSON, too; an id live in a replica but not in the source is a mismatch as well.
 */
final class ReplicaComparison {

    /** @param mismatches the first few differences, described */
    record Verdict(long compared, long differing, List<String> mismatches) {

        boolean exact() {
            return differing == 0;
        }
    }

    private static final int EXAMPLES = 5;

    private final MongoDatabase source;
    private final MongoDatabase mongoReplica;
    private final DataSource postgresReplica;

    ReplicaComparison(MongoDatabase source, MongoDatabase mongoReplica, DataSource postgresReplica) {
        this.source = source;
        this.mongoReplica = mongoReplica;
        this.postgresReplica = postgresReplica;
    }

    Verdict mongo(List<String> entities) {
        Tally tally = new Tally();
        for (String entity : entities) {
            Map<String, BsonDocument> copy = new HashMap<>();
            for (BsonDocument document : mongoReplica.getCollection(entity, BsonDocument.class)
                .find(Filters.exists(MongoReplicaWriter.DELETED_AT, false))) {
                document.remove(MongoReplicaWriter.FERRY);
                copy.put(EntityKeys.of(document.get("_id")), document);
            }
            tally.compare("MongoDB " + entity, sourceDocuments(entity), copy);
        }
        return tally.verdict();
    }

    Verdict postgres(List<String> entities) {
        Tally tally = new Tally();
        for (String entity : entities) {
            Map<String, BsonDocument> copy = new HashMap<>();
            try (Connection connection = postgresReplica.getConnection();
                 PreparedStatement select = connection.prepareStatement("SELECT id, document::text FROM " + entity
                     + " WHERE deleted_at IS NULL");
                 ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    copy.put(rows.getString(1), BsonDocument.parse(rows.getString(2)));
                }
            } catch (SQLException e) {
                throw new IllegalStateException("cannot read the PostgreSQL replica of " + entity + ": " + e.getMessage(), e);
            }
            tally.compare("PostgreSQL " + entity, sourceDocuments(entity), copy);
        }
        return tally.verdict();
    }

    private Map<String, BsonDocument> sourceDocuments(String entity) {
        Map<String, BsonDocument> documents = new HashMap<>();
        for (BsonDocument document : source.getCollection(entity, BsonDocument.class).find()) {
            documents.put(EntityKeys.of(document.get("_id")), document);
        }
        return documents;
    }

    private static final class Tally {

        private long compared;
        private long differing;
        private final List<String> mismatches = new ArrayList<>();

        void compare(String replica, Map<String, BsonDocument> source, Map<String, BsonDocument> copy) {
            source.forEach((key, document) -> {
                compared++;
                if (!document.equals(copy.get(key))) {
                    mismatch(replica + "/" + key + ": " + copy.get(key) + " instead of " + document);
                }
            });
            copy.keySet().stream().filter(key -> !source.containsKey(key))
                .forEach(key -> mismatch(replica + "/" + key + ": present, deleted in the source"));
        }

        private void mismatch(String text) {
            differing++;
            if (mismatches.size() < EXAMPLES) {
                mismatches.add(text);
            }
        }

        Verdict verdict() {
            return new Verdict(compared, differing, List.copyOf(mismatches));
        }
    }
}
