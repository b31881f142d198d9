package dev.ferry.postgres.replica;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.zaxxer.hikari.HikariDataSource;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.replica.ReplicaWrite;
import dev.ferry.core.replica.ReplicaWriter;
import dev.ferry.core.replica.ReplicaWriter.Outcome;
import dev.ferry.core.replica.contract.ReplicaWriterContract;
import dev.ferry.embedded.postgres.PostgresUnderTest;

/**
 * The PostgreSQL replica keeps the {@link ReplicaWriterContract}, in its document and in mapped columns: against a
 * real PostgreSQL (embedded, or FERRY_POSTGRES_URL), with PostgreSQL's own trigger-kept history as the independent
 * witness.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PostgresReplicaWriterIT extends ReplicaWriterContract {

    /** The contract's tables map the patient's name and visits to columns too, so those are checked as well. */
    private static final List<MappedColumn> PATIENT_COLUMNS = List.of(new MappedColumn("name", "name", "text"),
        new MappedColumn("visits", "visits", "bigint"));

    private static final AtomicInteger TABLES = new AtomicInteger();
    private static PostgresUnderTest postgres;
    private static HikariDataSource pool;

    private final SettableClock clock = new SettableClock(Instant.parse("2026-12-02T10:00:00Z"));

    @BeforeAll
    static void startPostgres() {
        postgres = PostgresUnderTest.start("replica");
        pool = PostgresReplicaWriter.pool(target(postgres.jdbcUrl(), PostgresTable.of("patient")));
    }

    @AfterAll
    static void stopPostgres() {
        if (pool != null) {
            pool.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Override
    protected Replica newReplica() {
        return replica(PATIENT_COLUMNS);
    }

    @Override
    protected void advanceClock(Duration by) {
        clock.advance(by);
    }

    @Test
    void aBatchLargerThanOneStatementIsWrittenWhole() {
        PostgresReplica replica = replica(List.of(new MappedColumn("name", "name", "text")));
        List<EntityChange> batch = new ArrayList<>();
        for (int i = 0; i < 2_500; i++) {
            batch.add(create("p" + i, 1));
        }

        assertThat(replica.writer.write(batch)).hasSize(2_500).containsOnly(Outcome.APPLIED);

        assertThat(replica.query("SELECT count(*) FROM " + replica.table + " WHERE name = 'v1'")).isEqualTo("2500");
    }

    @Test
    void typesSurviveAsCanonicalExtendedJsonAndInMappedColumns() {
        PostgresReplica replica = replica(List.of(new MappedColumn("visits", "visits", "bigint"),
            new MappedColumn("balance", "balance", "numeric(12,2)"), new MappedColumn("born", "born", "timestamptz"),
            new MappedColumn("doctor", "doctor", "text"), new MappedColumn("city", "address.city", "text"),
            new MappedColumn("scores", "scores", "jsonb"), new MappedColumn("first_phone", "phones.0", "text")));
        String document = "{\"_id\": {\"$oid\": \"6650f1a2b3c4d5e6f7a8b9c0\"}, \"visits\": {\"$numberLong\": \"9007199254740993\"}, "
            + "\"balance\": {\"$numberDecimal\": \"12.50\"}, \"born\": {\"$date\": {\"$numberLong\": \"1700000000123\"}}, "
            + "\"doctor\": {\"$oid\": \"6650f1a2b3c4d5e6f7a8b9c1\"}, \"ratio\": {\"$numberDouble\": \"0.1\"}, "
            + "\"age\": {\"$numberInt\": \"36\"}, \"address\": {\"city\": \"Zürich\", \"zip\": null}, "
            + "\"scores\": [[{\"$numberInt\": \"1\"}, {\"$numberLong\": \"2\"}], [], [{\"$numberDecimal\": \"3.0\"}]], "
            + "\"phones\": [\"+41 1\", \"+41 2\"]}";

        replica.writer.write(List.of(PatientChanges.create("6650f1a2b3c4d5e6f7a8b9c0", 1, document)));

        assertThat(replica.documentEquals("6650f1a2b3c4d5e6f7a8b9c0", document)).isTrue();
        assertThat(replica.query("SELECT concat_ws('|', visits, balance, born AT TIME ZONE 'UTC', doctor, city, scores, first_phone) FROM "
            + replica.table)).isEqualTo("9007199254740993|12.50|2023-11-14 22:13:20.123|6650f1a2b3c4d5e6f7a8b9c1|Zürich|"
            + "[[{\"$numberInt\": \"1\"}, {\"$numberLong\": \"2\"}], [], [{\"$numberDecimal\": \"3.0\"}]]|+41 1");
        assertThat(replica.query("SELECT document->'visits'->>'$numberLong' FROM " + replica.table)).isEqualTo("9007199254740993");
    }

    private PostgresReplica replica(List<MappedColumn> columns) {
        String table = "patient_" + TABLES.incrementAndGet();
        PostgresReplicaWriter writer = writerOf(pool, table, columns, clock);
        writer.createTables();
        return new PostgresReplica(table, columns, writer, PostgresReplicaHistory.install(pool, table), clock);
    }

    private static PostgresReplicaWriter writerOf(DataSource dataSource, String table, List<MappedColumn> columns,
                                                  SettableClock clock) {
        return new PostgresReplicaWriter(dataSource, List.of(new PostgresTable(ENTITY, table, columns)), Duration.ofHours(1),
            clock);
    }

    static PostgresTarget target(String url, PostgresTable table) {
        return new PostgresTarget(url, null, null, 4, Duration.ofHours(1), List.of(table));
    }

    private record PostgresReplica(String table, List<MappedColumn> columns, PostgresReplicaWriter writer,
                                   PostgresReplicaHistory log, SettableClock clock) implements Replica {

        /** The rival writes just before the upsert is prepared: before the statement takes its snapshot. */
        @Override
        public ReplicaWriter writerRacedBy(Runnable action) {
            return writerOf(BeforeUpsert.of(pool, action), table, columns, clock);
        }

        @Override
        public List<ReplicaWrite> history() {
            return log.writes();
        }

        /** The document, live, and the mapped name read from it. */
        @Override
        public void assertHolds(String id, String documentJson) {
            assertThat(documentEquals(id, documentJson)).as("%s holds %s", id, documentJson).isTrue();
            assertThat(select("SELECT deleted_at IS NULL AND name IS NOT DISTINCT FROM CAST(? AS jsonb)->>'name' FROM "
                + table + " WHERE id = ?", documentJson, id)).as("%s live, its name column from the document", id).isTrue();
        }

        /** No document and no mapped column left, only the version and when it was deleted. */
        @Override
        public void assertTombstone(String id, EntityVersion version) {
            assertThat(select("SELECT document IS NULL AND name IS NULL AND visits IS NULL AND version = ? "
                + "AND deleted_at = CAST(? AS timestamptz) FROM " + table + " WHERE id = ?", version.wire(),
                clock.instant().toString(), id)).as("%s is a tombstone of %s deleted at %s", id, version, clock.instant()).isTrue();
        }

        /** Every row, every column, as text. */
        @Override
        public Object snapshot() {
            return query("SELECT string_agg(t::text, E'\\n' ORDER BY id) FROM " + table + " t");
        }

        @Override
        public void plantLiveState(String id, EntityVersion version) {
            execute("UPDATE " + table + " SET version = '" + version.wire() + "', deleted_at = NULL, document = '{}' WHERE id = '"
                + id + "'");
        }

        boolean documentEquals(String id, String json) {
            return select("SELECT document = CAST(? AS jsonb) FROM " + table + " WHERE id = ?", json, id);
        }

        /** A one-row boolean query; false if there is no row. */
        private boolean select(String sql, String... parameters) {
            try (Connection connection = pool.getConnection(); PreparedStatement select = connection.prepareStatement(sql)) {
                for (int i = 0; i < parameters.length; i++) {
                    select.setString(i + 1, parameters[i]);
                }
                try (ResultSet row = select.executeQuery()) {
                    return row.next() && row.getBoolean(1);
                }
            } catch (SQLException e) {
                throw new IllegalStateException(sql + ": " + e.getMessage(), e);
            }
        }

        String query(String sql) {
            try (Connection connection = pool.getConnection(); Statement statement = connection.createStatement();
                 ResultSet row = statement.executeQuery(sql)) {
                return row.next() ? row.getString(1) : null;
            } catch (SQLException e) {
                throw new IllegalStateException(sql + ": " + e.getMessage(), e);
            }
        }

        void execute(String sql) {
            try (Connection connection = pool.getConnection(); Statement statement = connection.createStatement()) {
                statement.execute(sql);
            } catch (SQLException e) {
                throw new IllegalStateException(sql + ": " + e.getMessage(), e);
            }
        }
    }
}
