package dev.ferry.app.wiring;

import java.time.Clock;
import java.util.List;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;

import dev.ferry.config.TargetConfig;
import dev.ferry.core.replica.ReplicaWriter;
import dev.ferry.mongodb.replica.MongoReplicaCollection;
import dev.ferry.mongodb.replica.MongoReplicaWriter;
import dev.ferry.postgres.replica.MappedColumn;
import dev.ferry.postgres.replica.PostgresReplicaWriter;
import dev.ferry.postgres.replica.PostgresTable;
import dev.ferry.postgres.replica.PostgresTarget;

/** The writer of each configured target kind, with what it holds open (a client, a pool) to close with it. */
public final class ReplicaWriters {

    private ReplicaWriters() {
    }

    /** A target's writer and what to close when it is done. */
    public record Opened(ReplicaWriter writer, AutoCloseable resources) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            resources.close();
        }
    }

    /** @param ferryMongoUri the cluster a MongoDB target without a {@code uri} replicates into */
    public static Opened open(TargetConfig target, String ferryMongoUri) {
        return target.dispatch(new TargetConfig.Kinds<Opened>() {
            @Override
            public Opened mongoDb(TargetConfig.MongoDb mongo) {
                MongoClient client = MongoClients.create(mongo.uri() != null ? mongo.uri() : ferryMongoUri);
                List<MongoReplicaCollection> collections = mongo.entities().stream()
                    .map(entity -> new MongoReplicaCollection(entity, mongo.collectionOf(entity))).toList();
                return new Opened(new MongoReplicaWriter(client.getDatabase(mongo.database()), collections,
                    mongo.tombstoneRetentionDuration(), Clock.systemUTC()), client);
            }

            @Override
            public Opened postgreSql(TargetConfig.PostgreSql postgres) {
                List<PostgresTable> tables = postgres.entities().stream().map(entity -> {
                    TargetConfig.PostgreSql.Table table = postgres.tableOf(entity);
                    return new PostgresTable(entity, table.table(), table.columns().stream()
                        .map(column -> new MappedColumn(column.name(), column.field(), column.type())).toList());
                }).toList();
                PostgresReplicaWriter writer = PostgresReplicaWriter.open(new PostgresTarget(postgres.url(),
                    postgres.username(), postgres.password(), postgres.poolSize(), postgres.tombstoneRetentionDuration(),
                    tables));
                return new Opened(writer, writer);
            }
        });
    }
}
