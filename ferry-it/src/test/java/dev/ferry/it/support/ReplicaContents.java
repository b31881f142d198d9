package dev.ferry.it.support;

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
import org.bson.BsonDocumentWrapper;
import org.bson.Document;

import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;

import dev.ferry.core.replica.ReplicaWrite;
import dev.ferry.mongodb.entity.EntityKeys;

/**
 * What a MongoDB replica and a PostgreSQL replica hold, read straight from the databases (never from the writers),
 * and how it compares with the source collections: the exactness checks of the replica tests.
 */
public final class ReplicaContents {

    private ReplicaContents() {
    }

    /**
     * Every id of each entity's source collection compared with both replicas, document by document (BSON types
     * included; PostgreSQL's jsonb read as Extended JSON): what differs, as lines. Tombstones count as absent.
     */
    public static List<String> mismatches(MongoDatabase source, MongoDatabase mongoReplica, DataSource postgres,
                                          List<String> entities) throws SQLException {
        List<String> mismatches = new ArrayList<>();
        for (String entity : entities) {
            Map<String, BsonDocument> sourceDocuments = new HashMap<>();
            for (Document document : source.getCollection(entity).find()) {
                BsonDocument bson = BsonDocumentWrapper.asBsonDocument(document,
                    MongoClientSettings.getDefaultCodecRegistry());
                sourceDocuments.put(EntityKeys.of(bson.get("_id")), bson);
            }
            Map<String, BsonDocument> mongoDocuments = new HashMap<>();
            MongoCollection<BsonDocument> replica = mongoReplica.getCollection(entity, BsonDocument.class);
            for (BsonDocument document : replica.find(Filters.exists("_ferry.deletedAt", false))) {
                document.remove("_ferry");
                mongoDocuments.put(EntityKeys.of(document.get("_id")), document);
            }
            Map<String, BsonDocument> postgresDocuments = new HashMap<>();
            try (Connection connection = postgres.getConnection();
                 PreparedStatement select = connection.prepareStatement("SELECT id, document::text FROM " + entity
                     + " WHERE deleted_at IS NULL");
                 ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    postgresDocuments.put(rows.getString(1), BsonDocument.parse(rows.getString(2)));
                }
            }
            compare(entity, "MongoDB", sourceDocuments, mongoDocuments, mismatches);
            compare(entity, "PostgreSQL", sourceDocuments, postgresDocuments, mismatches);
        }
        return mismatches;
    }

    /** Per id, the version the MongoDB replica holds (tombstones included). */
    public static Map<String, String> mongoVersions(MongoDatabase replica, String entity) {
        Map<String, String> versions = new HashMap<>();
        for (BsonDocument document : replica.getCollection(entity, BsonDocument.class).find()) {
            versions.put(EntityKeys.of(document.get("_id")), document.getDocument("_ferry").getString("version")
                .getValue());
        }
        return versions;
    }

    /** Per id, the version the PostgreSQL replica's table holds (tombstones included). */
    public static Map<String, String> postgresVersions(DataSource postgres, String table) throws SQLException {
        Map<String, String> versions = new HashMap<>();
        try (Connection connection = postgres.getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT id, version FROM " + table);
             ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                versions.put(rows.getString(1), rows.getString(2));
            }
        }
        return versions;
    }

    /** Per id, the version of the last write an independent log saw: what the replica must hold. */
    public static Map<String, String> lastWrites(List<ReplicaWrite> writes) {
        Map<String, String> last = new HashMap<>();
        writes.forEach(write -> last.put(write.id(), write.version().wire()));
        return last;
    }

    private static void compare(String entity, String replica, Map<String, BsonDocument> source,
                                Map<String, BsonDocument> copy, List<String> mismatches) {
        source.forEach((key, document) -> {
            if (!document.equals(copy.get(key))) {
                mismatches.add(replica + " " + entity + "/" + key + ": " + copy.get(key) + " instead of " + document);
            }
        });
        copy.keySet().stream().filter(key -> !source.containsKey(key))
            .forEach(key -> mismatches.add(replica + " " + entity + "/" + key + ": present, deleted in the source"));
    }
}
