package dev.ferry.postgres.replica;

import static dev.ferry.postgres.replica.PatientChanges.ENTITY;
import static dev.ferry.postgres.replica.PatientChanges.create;
import static dev.ferry.postgres.replica.PatientChanges.patient;
import static dev.ferry.postgres.replica.PatientChanges.update;
import static dev.ferry.postgres.replica.PatientChanges.v;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.zaxxer.hikari.HikariDataSource;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.replica.ChangesRejected;
import dev.ferry.core.replica.ReplicaWriter.Outcome;
import dev.ferry.core.replica.ReplicaWriter.StoredVersion;
import dev.ferry.embedded.postgres.PostgresUnderTest;

/**
 * A row PostgreSQL refuses fails only its own id: the batch around it is written id by id and the refused ids come back
 * in {@link ChangesRejected}, with the others' outcomes (embedded PostgreSQL, or FERRY_POSTGRES_URL).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PostgresReplicaRefusedRowsIT {

    private static final AtomicInteger TABLES = new AtomicInteger();
    private static PostgresUnderTest postgres;
    private static HikariDataSource pool;

    @BeforeAll
    static void startPostgres() {
        postgres = PostgresUnderTest.start("refused");
        pool = PostgresReplicaWriter.pool(PostgresReplicaWriterIT.target(postgres.jdbcUrl(), PostgresTable.of(ENTITY)));
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
    void aMappedValueItsColumnsTypeRefusesFailsOnlyItsOwnId() {
        String table = newTable();
        PostgresReplicaWriter writer = writer(table);
        List<EntityChange> batch = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            batch.add(create("p" + i, 1, patient("p" + i, 1)));
        }
        batch.add(5, update("p3", 2, "{\"_id\": \"p3\", \"name\": \"v2\", \"visits\": \"many\"}")); // not a bigint
        batch.add(update("p7", 2, patient("p7", 2)));

        ChangesRejected rejected = catchRejected(() -> writer.write(batch));

        assertThat(rejected.causes()).as("both changes of p3, nothing else").containsOnlyKeys(3, 5);
        assertThat(rejected.causes().get(5)).hasMessageContaining("22P02");
        List<Outcome> others = new ArrayList<>(rejected.outcomes());
        assertThat(others.remove(5)).isNull();
        assertThat(others.remove(3)).isNull();
        assertThat(others).hasSize(20).containsOnly(Outcome.APPLIED);
        assertThat(writer.stored(ENTITY, "p3")).isEmpty();
        assertThat(writer.stored(ENTITY, "p7")).contains(new StoredVersion(v(2), false));
        assertThat(query("SELECT count(*) FROM " + table)).isEqualTo("19");
    }

    @Test
    void aNulCharacterJsonbCannotHoldFailsOnlyItsOwnIdAndTheBatchAgainIsDuplicatesButIt() {
        String table = newTable();
        PostgresReplicaWriter writer = writer(table);
        List<EntityChange> batch = List.of(create("a", 1, patient("a", 1)),
            create("nul", 1, "{\"_id\": \"nul\", \"note\": \"a\\u0000b\"}"), create("b", 1, patient("b", 1)));

        ChangesRejected rejected = catchRejected(() -> writer.write(batch));
        assertThat(rejected.outcomes()).containsExactly(Outcome.APPLIED, null, Outcome.APPLIED);
        assertThat(rejected.causes()).containsOnlyKeys(1);

        ChangesRejected again = catchRejected(() -> writer.write(batch));
        assertThat(again.outcomes()).containsExactly(Outcome.DUPLICATE, null, Outcome.DUPLICATE);
    }

    @Test
    void aBatchOfOneRefusedIdThrowsPostgresqlsReason() {
        PostgresReplicaWriter writer = writer(newTable());

        assertThatThrownBy(() -> writer.write(List.of(create("a", 1, "{\"_id\": \"a\", \"visits\": \"many\"}"))))
            .isNotInstanceOf(ChangesRejected.class).hasMessageContaining("22P02");
    }

    private static ChangesRejected catchRejected(Runnable write) {
        try {
            write.run();
        } catch (ChangesRejected e) {
            return e;
        }
        throw new AssertionError("no change was refused");
    }

    private static String newTable() {
        return "refused_" + TABLES.incrementAndGet();
    }

    private static PostgresReplicaWriter writer(String table) {
        PostgresReplicaWriter writer = new PostgresReplicaWriter(pool, List.of(new PostgresTable(ENTITY, table,
            List.of(new MappedColumn("visits", "visits", "bigint")))), Duration.ofHours(1), new SettableClock(Instant.now()));
        writer.createTables();
        return writer;
    }

    private static String query(String sql) {
        try (Connection connection = pool.getConnection(); Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery(sql)) {
            return row.next() ? row.getString(1) : null;
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }
}
