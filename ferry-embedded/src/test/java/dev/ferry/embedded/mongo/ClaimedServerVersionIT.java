package dev.ferry.embedded.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.connection.ServerDescription;
import com.mongodb.connection.ServerType;
import com.mongodb.event.ServerHeartbeatSucceededEvent;
import com.mongodb.event.ServerMonitorListener;

/**
 * The server claims MongoDB 4.4 (wire version 9), the lowest today's drivers accept, as a standalone that answers
 * {@code hello}, and gives drivers no reason to do what it cannot: no {@code topologyVersion}, so they poll instead
 * of streaming. The Node.js driver 7's side of the same claim is {@code NodeDriverContractIT} (ferry-it).
 */
@Timeout(60)
class ClaimedServerVersionIT {

    private EmbeddedMongo mongo;
    private final List<ServerHeartbeatSucceededEvent> heartbeats = new CopyOnWriteArrayList<>();
    private MongoClient client;

    @BeforeEach
    void start() {
        mongo = EmbeddedMongo.start();
        client = MongoClients.create(MongoClientSettings.builder()
            .applyConnectionString(new ConnectionString(mongo.connectionString()))
            .applyToServerSettings(server -> server.heartbeatFrequency(100, TimeUnit.MILLISECONDS)
                .addServerMonitorListener(new ServerMonitorListener() {
                    @Override
                    public void serverHeartbeatSucceeded(ServerHeartbeatSucceededEvent event) {
                        heartbeats.add(event);
                    }
                }))
            .build());
    }

    @AfterEach
    void stop() {
        client.close();
        mongo.close();
    }

    @Test
    void theDriverSeesAWritableStandaloneOfMongoDb44() {
        client.getDatabase("admin").runCommand(new Document("ping", 1));

        ServerDescription server = client.getClusterDescription().getServerDescriptions().get(0);
        assertThat(server.getMaxWireVersion()).isEqualTo(9);
        assertThat(server.getType()).isEqualTo(ServerType.STANDALONE);
        assertThat(server.getLogicalSessionTimeoutMinutes()).isEqualTo(30);
        assertThat(client.getDatabase("admin").runCommand(new Document("buildInfo", 1)).getString("version"))
            .isEqualTo("4.4.0");
    }

    @Test
    void helloAnswersAsIsMasterDoesWithTheRoleNamedIsWritablePrimary() {
        Document hello = client.getDatabase("ferry").runCommand(new Document("hello", 1));
        Document isMaster = client.getDatabase("ferry").runCommand(new Document("isMaster", 1));

        assertThat(hello.getBoolean("isWritablePrimary")).isTrue();
        assertThat(hello).doesNotContainKey("ismaster");
        assertThat(isMaster.getBoolean("ismaster")).isTrue();
        assertThat(isMaster).doesNotContainKey("isWritablePrimary");
        for (Document reply : List.of(hello, isMaster)) {
            assertThat(reply.getInteger("maxWireVersion")).isEqualTo(9);
            assertThat(reply.getInteger("minWireVersion")).isZero();
            assertThat(reply).doesNotContainKey("helloOk").doesNotContainKey("setName");
        }
    }

    @Test
    void aClientAskingWhetherItMaySendHelloIsToldItMay() {
        Document reply = client.getDatabase("admin").runCommand(new Document("isMaster", 1).append("helloOk", true));

        assertThat(reply.getBoolean("helloOk")).isTrue();
    }

    @Test
    void withoutATopologyVersionTheDriverPollsInsteadOfStreaming() {
        await().atMost(Duration.ofSeconds(20)).until(() -> heartbeats.size() >= 3);

        assertThat(heartbeats).noneMatch(ServerHeartbeatSucceededEvent::isAwaited)
            .allSatisfy(heartbeat -> assertThat(heartbeat.getReply()).doesNotContainKey("topologyVersion"));
    }
}
