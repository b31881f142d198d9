package dev.ferry.embedded.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.bson.BsonMaximumSizeExceededException;
import org.bson.Document;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;

/**
 * A document may be 16 MiB, as on MongoDB, and not a byte more: the server announces the limit and the driver refuses
 * a larger document before sending it. The server no longer encodes what it stores (issue 30), which must not move the
 * limit.
 */
@Timeout(60)
class DocumentSizeLimitIT {

    private static final int MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;

    private EmbeddedMongo mongo;
    private MongoClient client;
    private MongoCollection<Document> documents;

    @BeforeEach
    void start() {
        mongo = EmbeddedMongo.start();
        client = MongoClients.create(mongo.connectionString());
        documents = client.getDatabase("limits").getCollection("documents");
    }

    @AfterEach
    void stop() {
        client.close();
        mongo.close();
    }

    @Test
    void aDocumentOf16MibIsStoredAndOneByteMoreIsRefused() {
        assertThat(client.getDatabase("admin").runCommand(new Document("isMaster", 1)).get("maxBsonObjectSize"))
            .isEqualTo(MAX_BSON_OBJECT_SIZE);

        documents.insertOne(ofEncodedSize("largest", MAX_BSON_OBJECT_SIZE));
        assertThatThrownBy(() -> documents.insertOne(ofEncodedSize("too large", MAX_BSON_OBJECT_SIZE + 1)))
            .isInstanceOf(BsonMaximumSizeExceededException.class);

        assertThat(documents.countDocuments()).isEqualTo(1);
        assertThat(documents.find(Filters.eq("_id", "largest")).first()).isNotNull();
        Document stats = client.getDatabase("limits").runCommand(new Document("collStats", "documents"));
        assertThat(stats.get("size")).isEqualTo(MAX_BSON_OBJECT_SIZE);
    }

    /** A document whose BSON is exactly {@code bytes} long. */
    private static Document ofEncodedSize(String id, int bytes) {
        Document document = new Document("_id", id).append("payload", "");
        int empty = new RawBsonDocument(document.toBsonDocument(), new BsonDocumentCodec()).getByteBuffer().remaining();
        return document.append("payload", "p".repeat(bytes - empty));
    }
}
