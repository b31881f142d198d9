package dev.ferry.app.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.bson.BsonDocument;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;

import dev.ferry.app.failure.ChildProcess;
import dev.ferry.embedded.kafka.EmbeddedKafka;
import dev.ferry.embedded.mongo.MongoUnderTest;
import dev.ferry.embedded.postgres.PostgresUnderTest;
import dev.ferry.mongodb.entity.EntityKeys;

/**
 * {@code ferry relay} and {@code ferry replicate}, as processes started from the built jar with one configuration
 * file: an entity collection's creates, updates, deletes and re-creates reach a MongoDB replica (BSON-equal, less
 * {@code _ferry}) and a PostgreSQL replica (jsonb equal to the canonical Extended JSON), and the replicator's admin
 * endpoints report both targets.
 */
@Timeout(300)
class RelayAndReplicateFromTheJarIT {

    private static final Path JAR = Path.of("target", "ferry.jar");

    @TempDir
    Path dir;

    private final List<ChildProcess> processes = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stopProcesses() {
        processes.forEach(ChildProcess::destroy);
    }

    @Test
    void anEntityCollectionReachesAMongoDbAndAPostgresReplicaThroughTheCommands() throws Exception {
        assertThat(JAR).as("the jar built by mvn package").exists();
        try (MongoUnderTest mongo = MongoUnderTest.start("ferry_replicate_cli");
             EmbeddedKafka kafka = EmbeddedKafka.start();
             PostgresUnderTest postgres = PostgresUnderTest.start("ferry_replicate_cli");
             MongoClient client = MongoClients.create(mongo.connectionString())) {
            String replicaDatabase = mongo.databaseName() + "_replica";
            Path config = dir.resolve("ferry.yml");
            Files.writeString(config, """
                mongodb:
                  uri: %s
                  database: %s
                sources:
                  - {kind: entities, collection: patients, entity: patient}
                kafka:
                  bootstrapServers: %s
                  topicPrefix: cli%d.
                  partitions: 3
                  replicationFactor: 1
                targets:
                  - {kind: mongodb, name: mongo-replica, database: %s, entities: [patient]}
                  - kind: postgresql
                    name: pg-replica
                    url: '%s'
                    entities: [patient]
                    tables:
                      patient: {table: patient, columns: [{name: family, field: name.family, type: text}]}
                admin:
                  bind: 127.0.0.1
                  port: 0
                """.formatted(mongo.connectionString(), mongo.databaseName(), kafka.bootstrapServers(),
                System.nanoTime(), replicaDatabase, postgres.jdbcUrl()));
            ChildProcess relay = start("relay", "relay", "--config", config.toString());
            int relayAdmin = Integer.parseInt(relay.awaitLine("admin on port (\\d+)", Duration.ofSeconds(90)));
            ChildProcess replicator = start("replicator", "replicate", "--config", config.toString());
            int replicatorAdmin = Integer.parseInt(replicator.awaitLine("admin on port (\\d+)", Duration.ofSeconds(90)));
            await().atMost(Duration.ofSeconds(60)).until(() -> get(relayAdmin, "/status").contains("\"role\":\"LEADER\""));

            MongoCollection<Document> patients = client.getDatabase(mongo.databaseName()).getCollection("patients");
            for (int i = 0; i < 60; i++) {
                patients.insertOne(new Document("_id", "p-" + i).append("name", new Document("family", "F" + i))
                    .append("visits", (long) i));
            }
            for (int i = 0; i < 60; i += 2) {
                patients.updateOne(Filters.eq("_id", "p-" + i), Updates.inc("visits", 1L));
            }
            for (int i = 0; i < 60; i += 5) {
                patients.deleteOne(Filters.eq("_id", "p-" + i));
            }
            for (int i = 0; i < 60; i += 10) {
                patients.insertOne(new Document("_id", "p-" + i).append("name", new Document("family", "again"))
                    .append("visits", 0L));
            }

            MongoCollection<BsonDocument> mongoReplica = client.getDatabase(replicaDatabase)
                .getCollection("patient", BsonDocument.class);
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).until(() ->
                source(client, mongo.databaseName()).equals(mongoReplica(mongoReplica))
                    && source(client, mongo.databaseName()).equals(postgresReplica(postgres.jdbcUrl())));
            assertThat(postgresFamilies(postgres.jdbcUrl())).containsEntry("p-10", "again").containsEntry("p-1", "F1")
                .doesNotContainKey("p-5");
            assertThat(get(replicatorAdmin, "/status")).contains("\"target\":\"mongo-replica\"",
                "\"target\":\"pg-replica\"");
            assertThat(get(replicatorAdmin, "/metrics"))
                .contains("ferry_replicator_changes_applied_total{target=\"pg-replica\"}")
                .contains("ferry_replicator_changes_applied_total{target=\"mongo-replica\"}");
        }
    }

    private static Map<String, BsonDocument> source(MongoClient client, String database) {
        Map<String, BsonDocument> documents = new HashMap<>();
        for (BsonDocument document : client.getDatabase(database).getCollection("patients", BsonDocument.class).find()) {
            documents.put(EntityKeys.of(document.get("_id")), document);
        }
        return documents;
    }

    private static Map<String, BsonDocument> mongoReplica(MongoCollection<BsonDocument> replica) {
        Map<String, BsonDocument> documents = new HashMap<>();
        for (BsonDocument document : replica.find(Filters.exists("_ferry.deletedAt", false))) {
            document.remove("_ferry");
            documents.put(EntityKeys.of(document.get("_id")), document);
        }
        return documents;
    }

    private static Map<String, BsonDocument> postgresReplica(String url) {
        Map<String, BsonDocument> documents = new HashMap<>();
        try (Connection connection = DriverManager.getConnection(url);
             ResultSet rows = connection.createStatement().executeQuery(
                 "SELECT id, document::text FROM patient WHERE deleted_at IS NULL")) {
            while (rows.next()) {
                documents.put(rows.getString(1), BsonDocument.parse(rows.getString(2)));
            }
        } catch (java.sql.SQLException e) {
            return Map.of(); // the table is not there yet
        }
        return documents;
    }

    private static Map<String, String> postgresFamilies(String url) throws java.sql.SQLException {
        Map<String, String> families = new HashMap<>();
        try (Connection connection = DriverManager.getConnection(url);
             ResultSet rows = connection.createStatement().executeQuery(
                 "SELECT id, family FROM patient WHERE deleted_at IS NULL")) {
            while (rows.next()) {
                families.put(rows.getString(1), rows.getString(2));
            }
        }
        return families;
    }

    private ChildProcess start(String name, String... args) throws java.io.IOException {
        ChildProcess process = ChildProcess.start(name, JAR, dir, Map.of(), args);
        processes.add(process);
        return process;
    }

    private String get(int port, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        } catch (Exception e) {
            return "";
        }
    }
}
