package dev.ferry.postgres.replica;

import static dev.ferry.postgres.replica.PatientChanges.create;
import static dev.ferry.postgres.replica.PatientChanges.delete;
import static dev.ferry.postgres.replica.PatientChanges.patient;
import static dev.ferry.postgres.replica.PatientChanges.update;
import static dev.ferry.postgres.replica.PatientChanges.v;
import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.zaxxer.hikari.HikariDataSource;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.replica.ReplicaHistoryCheck.Verdict;
import dev.ferry.core.replica.ReplicaWriter.Outcome;
import dev.ferry.core.replica.ReplicaWriter.StoredVersion;
import dev.ferry.embedded.postgres.PostgresUnderTest;

/**
 * The PostgreSQL replica never goes back in time: against a real PostgreSQL (embedded, or FERRY_POSTGRES_URL), with
 * PostgreSQL's own trigger-kept history as the independent witness.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PostgresReplicaWriterIT {

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

    @Test
    void changesOutOfOrderAndRedeliveredNeverMoveARowBackInTime() {
        Replica replica = replica(List.of());
        replica.writer.write(List.of(update("a", 3, patient("a", 3))));

        List<Outcome> outcomes = replica.writer.write(List.of(create("a", 1, patient("a", 1)), update("a", 2, patient("a", 2)),
            update("a", 5, patient("a", 5)), update("a", 4, patient("a", 4)), update("a", 3, patient("a", 3))));

        assertThat(outcomes).containsExactly(Outcome.DUPLICATE, Outcome.DUPLICATE, Outcome.APPLIED, Outcome.DUPLICATE,
            Outcome.DUPLICATE);
        assertThat(replica.writer.stored("patient", "a")).contains(new StoredVersion(v(5), false));
        assertThat(replica.documentEquals("a", patient("a", 5))).isTrue();
        assertThat(replica.history.check().clean()).isTrue();
        assertThat(replica.history.writes()).extracting(write -> write.version()).containsExactly(v(3), v(5));
    }

    @Test
    void aTombstoneStopsAnOlderCreateOrUpdateFromResurrectingTheId() {
        Replica replica = replica(List.of(new MappedColumn("name", "name", "text")));
        replica.writer.write(List.of(create("a", 1, patient("a", 1)), delete("a", 4)));

        List<Outcome> late = replica.writer.write(List.of(create("a", 2, patient("a", 2)), update("a", 3, patient("a", 3))));

        assertThat(late).containsOnly(Outcome.DUPLICATE);
        assertThat(replica.writer.stored("patient", "a")).contains(new StoredVersion(v(4), true));
        assertThat(replica.query("SELECT document IS NULL AND name IS NULL AND deleted_at = '2026-12-02T10:00:00Z' FROM "
            + replica.table + " WHERE id = 'a'")).isEqualTo("t");
        Verdict verdict = replica.history.check();
        assertThat(verdict.resurrections()).isZero();
        assertThat(verdict.clean()).isTrue();
    }

    @Test
    void aReCreateWithAHigherVersionRevivesTheId() {
        Replica replica = replica(List.of(new MappedColumn("name", "name", "text")));
        replica.writer.write(List.of(create("a", 1, patient("a", 1)), delete("a", 2)));

        List<Outcome> outcomes = replica.writer.write(List.of(create("a", 3, patient("a", 3))));

        assertThat(outcomes).containsExactly(Outcome.APPLIED);
        assertThat(replica.writer.stored("patient", "a")).contains(new StoredVersion(v(3), false));
        assertThat(replica.query("SELECT deleted_at IS NULL AND name = 'v3' FROM " + replica.table + " WHERE id = 'a'")).isEqualTo("t");
        assertThat(replica.documentEquals("a", patient("a", 3))).isTrue();
        assertThat(replica.history.check().clean()).isTrue();
    }

    @Test
    void redeliveredChangesAreReportedAsDuplicatesAndLeaveTheReplicaUnchanged() {
        Replica replica = replica(List.of(new MappedColumn("visits", "visits", "bigint")));
        List<EntityChange> batch = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            String id = "p" + i;
            batch.add(create(id, 1, patient(id, 1)));
            batch.add(update(id, 2, patient(id, 2)));
            if (i % 3 == 0) {
                batch.add(delete(id, 3));
            }
        }
        assertThat(replica.writer.write(batch)).containsOnly(Outcome.APPLIED);
        String before = replica.snapshot();
        int writesBefore = replica.history.writes().size();

        clock.advance(Duration.ofMinutes(5)); // a tombstone written again would show a new deleted_at
        List<Outcome> again = replica.writer.write(batch);

        assertThat(again).hasSize(batch.size()).containsOnly(Outcome.DUPLICATE);
        assertThat(replica.snapshot()).isEqualTo(before);
        assertThat(replica.history.writes()).hasSize(writesBefore);
    }

    @Test
    void aBatchLargerThanOneStatementIsWrittenWhole() {
        Replica replica = replica(List.of(new MappedColumn("name", "name", "text")));
        List<EntityChange> batch = new ArrayList<>();
        for (int i = 0; i < 2_500; i++) {
            batch.add(create("p" + i, 1, patient("p" + i, 1)));
        }

        assertThat(replica.writer.write(batch)).hasSize(2_500).containsOnly(Outcome.APPLIED);

        assertThat(replica.query("SELECT count(*) FROM " + replica.table + " WHERE name = 'v1'")).isEqualTo("2500");
    }

    @Test
    void typesSurviveAsCanonicalExtendedJsonAndInMappedColumns() {
        Replica replica = replica(List.of(new MappedColumn("visits", "visits", "bigint"),
            new MappedColumn("balance", "balance", "numeric(12,2)"), new MappedColumn("born", "born", "timestamptz"),
            new MappedColumn("doctor", "doctor", "text"), new MappedColumn("city", "address.city", "text"),
            new MappedColumn("scores", "scores", "jsonb"), new MappedColumn("first_phone", "phones.0", "text")));
        String document = "{\"_id\": {\"$oid\": \"6650f1a2b3c4d5e6f7a8b9c0\"}, \"visits\": {\"$numberLong\": \"9007199254740993\"}, "
            + "\"balance\": {\"$numberDecimal\": \"12.50\"}, \"born\": {\"$date\": {\"$numberLong\": \"1700000000123\"}}, "
            + "\"doctor\": {\"$oid\": \"6650f1a2b3c4d5e6f7a8b9c1\"}, \"ratio\": {\"$numberDouble\": \"0.1\"}, "
            + "\"age\": {\"$numberInt\": \"36\"}, \"address\": {\"city\": \"Zürich\", \"zip\": null}, "
            + "\"scores\": [[{\"$numberInt\": \"1\"}, {\"$numberLong\": \"2\"}], [], [{\"$numberDecimal\": \"3.0\"}]], "
            + "\"phones\": [\"+41 1\", \"+41 2\"]}";

        replica.writer.write(List.of(create("6650f1a2b3c4d5e6f7a8b9c0", 1, document)));

        assertThat(replica.documentEquals("6650f1a2b3c4d5e6f7a8b9c0", document)).isTrue();
        assertThat(replica.query("SELECT concat_ws('|', visits, balance, born AT TIME ZONE 'UTC', doctor, city, scores, first_phone) FROM "
            + replica.table)).isEqualTo("9007199254740993|12.50|2023-11-14 22:13:20.123|6650f1a2b3c4d5e6f7a8b9c1|Zürich|"
            + "[[{\"$numberInt\": \"1\"}, {\"$numberLong\": \"2\"}], [], [{\"$numberDecimal\": \"3.0\"}]]|+41 1");
        assertThat(replica.query("SELECT document->'visits'->>'$numberLong' FROM " + replica.table)).isEqualTo("9007199254740993");
    }

    @Test
    void onlyTombstonesOlderThanTheRetentionArePurged() {
        Replica replica = replica(List.of());
        replica.writer.write(List.of(create("old", 1, patient("old", 1)), delete("old", 2), create("live", 1, patient("live", 1))));
        clock.advance(Duration.ofMinutes(30));
        replica.writer.write(List.of(create("recent", 1, patient("recent", 1)), delete("recent", 2)));
        clock.advance(Duration.ofMinutes(31)); // "old" is 61 minutes old, "recent" 31

        long purged = replica.writer.purgeTombstones();

        assertThat(purged).isEqualTo(1);
        assertThat(replica.writer.stored("patient", "old")).isEmpty();
        assertThat(replica.writer.stored("patient", "recent")).contains(new StoredVersion(v(2), true));
        assertThat(replica.writer.stored("patient", "live")).contains(new StoredVersion(v(1), false));
    }

    /** Writers racing on one id (a lane handover): each outcome exact, nothing fails, nothing goes back. */
    @Test
    void racingWritersOfOneIdNeverFailAndNeverGoBack() throws Exception {
        Replica replica = replica(List.of());
        int versions = 40;
        ExecutorService writers = Executors.newFixedThreadPool(4);
        try {
            List<Callable<Long>> tasks = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                Random random = new Random(w);
                tasks.add(() -> {
                    List<Integer> order = new ArrayList<>();
                    for (int n = 1; n <= versions; n++) {
                        order.add(n);
                    }
                    Collections.shuffle(order, random);
                    long applied = 0;
                    for (int n : order) {
                        EntityChange change = n % 9 == 0 ? delete("a", n) : update("a", n, patient("a", n));
                        applied += replica.writer.write(List.of(change)).stream().filter(outcome -> outcome == Outcome.APPLIED).count();
                    }
                    return applied;
                });
            }
            long applied = 0;
            for (Future<Long> result : writers.invokeAll(tasks)) {
                applied += result.get(60, TimeUnit.SECONDS);
            }

            assertThat(replica.writer.stored("patient", "a")).contains(new StoredVersion(v(versions), false));
            Verdict verdict = replica.history.check();
            assertThat(verdict.examples()).isEmpty();
            assertThat(verdict.writes()).as("each write reported applied is one in PostgreSQL's log").isEqualTo(applied);
        } finally {
            writers.shutdownNow();
        }
    }

    /**
     * The upsert's version condition alone keeps the row from going back: a row that did not exist when this writer
     * read (so {@code FOR UPDATE} locked nothing) is inserted at a newer version by another writer, committed, just
     * before this writer's upsert. Staged deterministically: the other writer runs when this one prepares its upsert.
     */
    @Test
    void aNewerRowInsertedBetweenTheReadAndTheUpsertIsNeverOverwritten() {
        Replica replica = replica(List.of());
        PostgresReplicaWriter other = new PostgresReplicaWriter(pool, List.of(new PostgresTable("patient", replica.table,
            List.of())), Duration.ofHours(1), clock);
        AtomicInteger raced = new AtomicInteger();
        PostgresReplicaWriter writer = new PostgresReplicaWriter(BeforeUpsert.of(pool, () -> {
            if (raced.getAndIncrement() == 0) {
                assertThat(other.write(List.of(update("a", 9, patient("a", 9))))).containsExactly(Outcome.APPLIED);
            }
        }), List.of(new PostgresTable("patient", replica.table, List.of())), Duration.ofHours(1), clock);

        List<Outcome> outcomes = writer.write(List.of(update("a", 3, patient("a", 3))));

        assertThat(raced.get()).as("the other writer ran between the read and the upsert").isPositive();
        assertThat(outcomes).containsExactly(Outcome.DUPLICATE);
        assertThat(replica.writer.stored("patient", "a")).contains(new StoredVersion(v(9), false));
        assertThat(replica.documentEquals("a", patient("a", 9))).isTrue();
        Verdict verdict = replica.history.check();
        assertThat(verdict.examples()).isEmpty();
        assertThat(replica.history.writes()).extracting(write -> write.version()).containsExactly(v(9));
    }

    @Test
    void theHistoryCatchesAWriteThatWentBackInTime() {
        Replica replica = replica(List.of());
        replica.writer.write(List.of(create("a", 1, patient("a", 1)), delete("a", 5)));

        // planted behind the writer's back: an old live state over the tombstone
        replica.execute("UPDATE " + replica.table + " SET version = '" + v(2).wire() + "', deleted_at = NULL, document = '{}' WHERE id = 'a'");

        Verdict verdict = replica.history.check();
        assertThat(verdict.orderViolations()).isEqualTo(1);
        assertThat(verdict.resurrections()).isEqualTo(1);
        assertThat(verdict.examples()).anySatisfy(example -> assertThat(example).startsWith("resurrection: a"));
    }

    private Replica replica(List<MappedColumn> columns) {
        String table = "patient_" + TABLES.incrementAndGet();
        PostgresReplicaWriter writer = new PostgresReplicaWriter(pool, List.of(new PostgresTable("patient", table, columns)),
            Duration.ofHours(1), clock);
        writer.createTables();
        return new Replica(table, writer, PostgresReplicaHistory.install(pool, table));
    }

    static PostgresTarget target(String url, PostgresTable table) {
        return new PostgresTarget(url, null, null, 4, Duration.ofHours(1), List.of(table));
    }

    private record Replica(String table, PostgresReplicaWriter writer, PostgresReplicaHistory history) {

        boolean documentEquals(String id, String json) {
            try (Connection connection = pool.getConnection();
                 PreparedStatement select = connection.prepareStatement("SELECT document = CAST(? AS jsonb) FROM " + table + " WHERE id = ?")) {
                select.setString(1, json);
                select.setString(2, id);
                try (ResultSet row = select.executeQuery()) {
                    return row.next() && row.getBoolean(1);
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Every row, every column, as text. */
        String snapshot() {
            return query("SELECT string_agg(t::text, E'\\n' ORDER BY id) FROM " + table + " t");
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
