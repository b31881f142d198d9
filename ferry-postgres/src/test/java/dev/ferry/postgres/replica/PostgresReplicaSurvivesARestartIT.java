package dev.ferry.postgres.replica;

import static dev.ferry.postgres.replica.PatientChanges.create;
import static dev.ferry.postgres.replica.PatientChanges.delete;
import static dev.ferry.postgres.replica.PatientChanges.patient;
import static dev.ferry.postgres.replica.PatientChanges.update;
import static dev.ferry.postgres.replica.PatientChanges.v;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.zaxxer.hikari.HikariDataSource;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.replica.ReplicaHistoryCheck.Verdict;
import dev.ferry.core.replica.DocumentedWrite;
import dev.ferry.core.replica.ReplicaWrite;
import dev.ferry.core.replica.ReplicaWriter.Outcome;
import dev.ferry.core.replica.ReplicaWriter.StoredVersion;
import dev.ferry.embedded.postgres.PostgresUnderTest;

/**
 * PostgreSQL stops and starts again while a writer is writing rounds of changes (with redeliveries) to 40 ids, retrying
 * each failed batch as the engine would: the pool reconnects, writes resume, and PostgreSQL's own history shows every
 * version written exactly once, in order, and the table ends exact.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PostgresReplicaSurvivesARestartIT {

    private static final int IDS = 40;
    private static final int ROUNDS_AFTER_RESTART = 10;

    @Test
    void writesResumeAfterARestartWithNothingAppliedTwiceOrLost() throws Exception {
        try (PostgresUnderTest postgres = PostgresUnderTest.start("restart");
             HikariDataSource pool = PostgresReplicaWriter.pool(PostgresReplicaWriterIT.target(postgres.jdbcUrl(), PostgresTable.of("patient")))) {
            pool.getHikariConfigMXBean().setConnectionTimeout(1_000); // fail fast while the server is down, and retry
            PostgresReplicaWriter writer = new PostgresReplicaWriter(pool, List.of(PostgresTable.of("patient")), Duration.ofDays(1),
                Clock.systemUTC());
            writer.createTables();
            PostgresReplicaHistory history = PostgresReplicaHistory.install(pool, "patient");

            AtomicInteger round = new AtomicInteger();
            AtomicInteger failures = new AtomicInteger();
            AtomicLong applied = new AtomicLong();
            AtomicBoolean restarted = new AtomicBoolean();
            CompletableFuture<Integer> rounds = CompletableFuture.supplyAsync(() -> {
                int lastRound = Integer.MAX_VALUE;
                for (int r = 1; r <= lastRound; r++) {
                    List<Outcome> outcomes = writeUntilItLands(writer, batch(r), failures);
                    applied.addAndGet(outcomes.stream().filter(outcome -> outcome == Outcome.APPLIED).count());
                    round.set(r);
                    if (restarted.get() && lastRound == Integer.MAX_VALUE) {
                        lastRound = r + ROUNDS_AFTER_RESTART;
                    }
                }
                return lastRound;
            });

            await().atMost(Duration.ofSeconds(60)).until(() -> round.get() >= 10);
            postgres.stopServer();
            await().atMost(Duration.ofSeconds(60)).until(() -> failures.get() >= 2);
            postgres.startServer();
            restarted.set(true);
            int lastRound = rounds.get(120, TimeUnit.SECONDS);

            assertThat(failures.get()).as("writes failed while PostgreSQL was down").isGreaterThanOrEqualTo(2);
            for (int i = 0; i < IDS; i++) {
                String id = "p" + i;
                assertThat(writer.stored("patient", id)).contains(new StoredVersion(v(lastRound), deleted(i, lastRound)));
                if (!deleted(i, lastRound)) {
                    assertThat(documentEquals(pool, id, patient(id, lastRound))).as(id).isTrue();
                }
            }
            List<ReplicaWrite> writes = history.writes();
            Verdict verdict = history.check();
            assertThat(verdict.examples()).isEmpty();
            assertThat(verdict.clean()).isTrue();
            // every round's version of every id written exactly once: none lost, none twice
            assertThat(writes).hasSize(IDS * lastRound);
            // and logged with what it wrote: a tombstone no document, any other write its round's
            List<DocumentedWrite> documented = history.documentedWrites();
            assertThat(documented).extracting(DocumentedWrite::write).isEqualTo(writes);
            for (DocumentedWrite write : documented) {
                int written = Integer.parseInt(write.write().id().substring(1));
                int at = (int) Long.parseLong(write.write().version().wire().substring(0, 10));
                assertThat(write.documentJson() == null).as("%s has no document", write).isEqualTo(deleted(written, at));
            }
            assertThat(applied.get()).as("applied as reported; a batch committed just before a failure is reported "
                + "as duplicates when written again").isLessThanOrEqualTo(IDS * lastRound);
        }
    }

    /** Round r: every id's change r, with the change of round r - 1 delivered again before it. */
    private static List<EntityChange> batch(int round) {
        List<EntityChange> batch = new ArrayList<>();
        for (int i = 0; i < IDS; i++) {
            if (round > 1) {
                batch.add(change(i, round - 1));
            }
            batch.add(change(i, round));
        }
        return batch;
    }

    /** Each id is deleted every 7 rounds (shifted per id) and re-created the round after. */
    private static EntityChange change(int i, int round) {
        String id = "p" + i;
        if (deleted(i, round)) {
            return delete(id, round);
        }
        return round == 1 || deleted(i, round - 1) ? create(id, round, patient(id, round)) : update(id, round, patient(id, round));
    }

    private static boolean deleted(int i, int round) {
        return (round + i) % 7 == 0;
    }

    private static List<Outcome> writeUntilItLands(PostgresReplicaWriter writer, List<EntityChange> batch, AtomicInteger failures) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            try {
                return writer.write(batch);
            } catch (RuntimeException e) {
                failures.incrementAndGet();
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
        }
    }

    private static boolean documentEquals(HikariDataSource pool, String id, String json) throws SQLException {
        try (Connection connection = pool.getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT document = CAST(? AS jsonb) FROM patient WHERE id = ?")) {
            select.setString(1, json);
            select.setString(2, id);
            try (ResultSet row = select.executeQuery()) {
                return row.next() && row.getBoolean(1);
            }
        }
    }
}
