package dev.ferry.kafka.publish;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.ferry.core.relay.spi.CheckpointStore.Checkpoint;
import dev.ferry.core.relay.spi.ResumeToken;

/**
 * Where a term of the exactly-once mode starts: the position Kafka committed with the records, unless MongoDB's
 * checkpoint is further on (the relay ran without the mode since) or Kafka holds none.
 */
class TransactionalCheckpointsTest {

    private static final Instant T0 = Instant.parse("2026-12-08T00:00:00Z");

    @Test
    void kafkasCommittedPositionWinsWhereMongoDbsCopyIsTheSameOrBehind() {
        Checkpoint committed = at("k", 100, T0);
        assertThat(TransactionalCheckpoints.startingPosition(Optional.of(committed), Optional.of(at("m", 100, T0))))
            .contains(committed);
        assertThat(TransactionalCheckpoints.startingPosition(Optional.of(committed), Optional.of(at("m", 90, T0))))
            .as("MongoDB's is written after each commit: one commit behind after a failure between the two")
            .contains(committed);
        assertThat(TransactionalCheckpoints.startingPosition(Optional.of(committed), Optional.empty()))
            .contains(committed);
    }

    @Test
    void mongoDbsCheckpointWinsWhereItIsFurtherOnOrKafkaHasNone() {
        Checkpoint committed = at("k", 100, T0);
        Checkpoint further = at("m", 120, T0.plusSeconds(1));
        assertThat(TransactionalCheckpoints.startingPosition(Optional.of(committed), Optional.of(further)))
            .as("published without the mode since").contains(further);
        Checkpoint movedQuietly = at("m", 100, T0.plusSeconds(60));
        assertThat(TransactionalCheckpoints.startingPosition(Optional.of(committed), Optional.of(movedQuietly)))
            .as("the same sequence saved later: moved over dead letters or a quiet source without the mode")
            .contains(movedQuietly);
        assertThat(TransactionalCheckpoints.startingPosition(Optional.empty(), Optional.of(further)))
            .as("the mode just switched on, or the positions topic lost").contains(further);
        assertThat(TransactionalCheckpoints.startingPosition(Optional.empty(), Optional.empty())).isEmpty();
    }

    private static Checkpoint at(String token, long sequence, Instant savedAt) {
        return new Checkpoint(new ResumeToken(token), Map.of(), sequence, 1, savedAt);
    }
}
