package dev.ferry.core.relay;

import static dev.ferry.core.relay.TestTerm.commit;
import static dev.ferry.core.relay.TestTerm.token;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.CheckpointStore.CopyProgress;
import dev.ferry.core.relay.spi.RecordRefused;

/**
 * The acknowledged prefix and its checkpoint: the checkpoint moves only over what the broker acknowledged, in the
 * order it was sent; a failed send stops it; a copy's progress waits behind what was sent before it.
 */
@Timeout(10)
class AcknowledgementsTest {

    private final InMemoryCheckpointStore checkpoints = new InMemoryCheckpointStore();
    private TestTerm term = TestTerm.unbounded();

    @Test
    void aCheckpointNeverPassesAnUnacknowledgedChangeEvenWhenLaterOnesAreAcknowledgedFirst() {
        Acknowledgements acks = startingAt(0);
        CompletableFuture<Void> first = send(acks, 1);
        CompletableFuture<Void> second = send(acks, 2);
        CompletableFuture<Void> third = send(acks, 3);

        third.complete(null);
        second.complete(null);
        acks.drainAcknowledged();
        acks.maybeCheckpoint(true);
        assertThat(checkpoints.saves()).isEmpty();
        assertThat(acks.acknowledged()).isEqualTo(token(0));
        assertThat(term.progress.published()).isZero();

        first.complete(null);
        acks.drainAcknowledged();
        acks.maybeCheckpoint(true);
        assertThat(checkpoints.last().token()).isEqualTo(token(3));
        assertThat(checkpoints.last().sequence()).isEqualTo(3);
        assertThat(checkpoints.last().epoch()).isEqualTo(TestTerm.EPOCH);
        assertThat(term.progress.published()).isEqualTo(3);
        assertThat(term.progress.checkpointSequence()).isEqualTo(3);
    }

    @Test
    void aFailedSendStopsThePrefixFailsTheTermAndOnlyWhatWasAcknowledgedBeforeItIsCheckpointed() {
        Acknowledgements acks = startingAt(0);
        CompletableFuture<Void> first = send(acks, 1);
        CompletableFuture<Void> second = send(acks, 2);
        CompletableFuture<Void> third = send(acks, 3);
        first.complete(null);
        second.completeExceptionally(new IOException("broker unreachable"));
        third.complete(null);

        assertThatThrownBy(acks::drainAcknowledged).isInstanceOfSatisfying(PipelineFailure.class,
            failure -> assertThat(failure.fault()).isEqualTo(RelayStatus.Fault.BROKER));
        acks.checkpointAcknowledged();
        assertThat(checkpoints.last().token()).isEqualTo(token(1));
        assertThat(checkpoints.last().sequence()).isEqualTo(1);
    }

    @Test
    void aRecordRefusedForItsContentFailsTheTermAndIsRememberedSoItsChangeIsDeadLetteredWhenReadAgain() {
        Acknowledgements acks = startingAt(0);
        Change change = commit(1, "k-1");
        acks.track(change.token(), 1, CompletableFuture.failedFuture(new RecordRefused("too large", true)), null,
            change);

        assertThatThrownBy(acks::drainAcknowledged).isInstanceOfSatisfying(PipelineFailure.class,
            failure -> assertThat(failure.fault()).isEqualTo(RelayStatus.Fault.RECORD_REFUSED));
        assertThat(term.refusals.of(commit(1, "k-1"))).hasMessage("too large");
    }

    @Test
    void aCopysProgressMarkIsCheckpointedOnlyOnceEverythingSentBeforeItIsAcknowledged() {
        Acknowledgements acks = new Acknowledgements(term.term, checkpoints, 0, token(0),
            Map.of("orders", new CopyProgress("", 0, false)));
        CompletableFuture<Void> streamed = send(acks, 1);
        acks.markCopy(token(1), "orders", new CopyProgress("500", 500, false));

        acks.drainAcknowledged();
        acks.maybeCheckpoint(true);
        assertThat(checkpoints.saves()).isEmpty();
        assertThat(acks.copies().get("orders").copied()).isZero();

        streamed.complete(null);
        acks.drainAcknowledged();
        acks.maybeCheckpoint(true);
        assertThat(checkpoints.last().copies().get("orders")).isEqualTo(new CopyProgress("500", 500, false));
        assertThat(checkpoints.last().token()).isEqualTo(token(1));
    }

    @Test
    void backpressureWaitsForTheOldestAndGivesUpWhenTheTermEnds() {
        term = new TestTerm(2, Duration.ZERO);
        Acknowledgements acks = startingAt(0);
        CompletableFuture<Void> first = send(acks, 1);
        send(acks, 2);

        first.complete(null);
        acks.awaitRoom(); // the oldest was acknowledged: room for one more
        send(acks, 3);
        term.leading.set(false);
        assertThatThrownBy(acks::awaitRoom).isInstanceOf(TermEnded.class);
    }

    @Test
    void checkpointsAtMostOncePerIntervalUnlessForcedAndNeverAfterLeadershipIsLost() {
        term = new TestTerm(1_000, Duration.ofHours(1));
        Acknowledgements acks = startingAt(0);
        send(acks, 1).complete(null);
        acks.drainAcknowledged();
        acks.maybeCheckpoint(false);
        assertThat(checkpoints.saves()).isEmpty();
        acks.maybeCheckpoint(true);
        assertThat(checkpoints.saves()).hasSize(1);

        send(acks, 2).complete(null);
        acks.drainAcknowledged();
        term.leading.set(false);
        acks.maybeCheckpoint(true);
        assertThat(checkpoints.saves()).hasSize(1);
        assertThat(checkpoints.last().token()).isEqualTo(token(1));
    }

    @Test
    void aQuietSourceMovesTheCheckpointToItsPositionOnlyWhileNothingIsInFlight() {
        Acknowledgements acks = startingAt(0);
        CompletableFuture<Void> first = send(acks, 1);
        acks.readToTheEnd(token(9));
        assertThat(acks.acknowledged()).isEqualTo(token(0));
        assertThat(term.progress.waitingSince()).isNotNull();

        first.complete(null);
        acks.drainAcknowledged();
        acks.readToTheEnd(token(9));
        acks.maybeCheckpoint(true);
        assertThat(checkpoints.last().token()).isEqualTo(token(9));
        assertThat(checkpoints.last().sequence()).isEqualTo(1);
        assertThat(term.progress.waitingSince()).isNull();
    }

    /**
     * Idle, a relay reads its own lease and checkpoint writes, each moving the quiet source's position: that position
     * alone is checkpointed at most once per idle interval, while acknowledged records keep the short interval.
     */
    @Test
    void aPositionMovedOnlyByAQuietSourceWaitsTheIdleIntervalAndPublishedRecordsDoNot() {
        term = new TestTerm(1_000, Duration.ZERO, Duration.ofHours(1));
        Acknowledgements acks = startingAt(0);
        for (int position = 1; position <= 50; position++) {
            acks.readToTheEnd(token(position));
            acks.maybeCheckpoint(false);
        }
        assertThat(checkpoints.saves()).as("no checkpoint per empty read").isEmpty();
        assertThat(acks.acknowledged()).isEqualTo(token(50));

        send(acks, 51).complete(null);
        acks.drainAcknowledged();
        acks.maybeCheckpoint(false);
        assertThat(checkpoints.saves()).extracting(checkpoint -> checkpoint.token()).containsExactly(token(51));

        acks.readToTheEnd(token(52));
        acks.maybeCheckpoint(false);
        assertThat(checkpoints.saves()).hasSize(1);

        term.running.set(false);
        acks.finish(); // a graceful stop still records where the quiet source was read to
        assertThat(checkpoints.last().token()).isEqualTo(token(52));
        assertThat(checkpoints.last().sequence()).isEqualTo(1);
    }

    /**
     * A new relay (no checkpoint to start from) fixes where it starts with its first read, not an idle interval later:
     * until a checkpoint exists, a successor would start from a later "now" and skip what was appended in between.
     */
    @Test
    void aTermWithNoCheckpointWritesItsFirstAtTheShortIntervalThenWaitsTheIdleOne() {
        term = new TestTerm(1_000, Duration.ZERO, Duration.ofHours(1));
        Acknowledgements acks = new Acknowledgements(term.term, checkpoints, 0, null, Map.of());

        acks.readToTheEnd(token(1));
        acks.maybeCheckpoint(false);
        assertThat(checkpoints.saves()).extracting(checkpoint -> checkpoint.token()).containsExactly(token(1));

        acks.readToTheEnd(token(2));
        acks.maybeCheckpoint(false);
        assertThat(checkpoints.saves()).as("later quiet moves wait the idle interval").hasSize(1);
    }

    @Test
    void aQuietSourcesPositionIsCheckpointedOnceTheIdleIntervalHasPassed() {
        term = new TestTerm(1_000, Duration.ofHours(1), Duration.ofMillis(20));
        Acknowledgements acks = startingAt(0);
        int[] position = {0};

        await().atMost(Duration.ofSeconds(5)).until(() -> {
            acks.readToTheEnd(token(++position[0]));
            acks.maybeCheckpoint(false);
            return !checkpoints.saves().isEmpty();
        });

        assertThat(checkpoints.saves()).hasSize(1);
        assertThat(checkpoints.last().token()).isEqualTo(token(position[0]));
    }

    @Test
    void deadLettersAreCountedOnceAcknowledgedAndTakeNoSequenceNumber() {
        Acknowledgements acks = startingAt(0);
        CompletableFuture<Void> deadLetter = new CompletableFuture<>();
        acks.track(token(1), 0, deadLetter, Change.Refused.Cause.OVERSIZED, null);
        assertThat(term.progress.deadLettered()).isZero();

        deadLetter.complete(null);
        acks.drainAcknowledged();
        assertThat(acks.sequence()).isZero();
        assertThat(term.progress.deadLettered()).isEqualTo(1);
        assertThat(term.progress.oversized()).isEqualTo(1);
        assertThat(acks.acknowledged()).isEqualTo(token(1));
    }

    @Test
    void aGracefulFinishWaitsForEverythingInFlightAndCheckpointsIt() {
        Acknowledgements acks = startingAt(0);
        CompletableFuture<Void> first = send(acks, 1);
        CompletableFuture.delayedExecutor(50, java.util.concurrent.TimeUnit.MILLISECONDS)
            .execute(() -> first.complete(null));
        term.running.set(false);

        acks.finish();
        assertThat(checkpoints.last().token()).isEqualTo(token(1));
        assertThat(acks.checkpointed()).isTrue();
    }

    private Acknowledgements startingAt(int position) {
        return new Acknowledgements(term.term, checkpoints, 0, token(position), Map.of());
    }

    /** Tracks one record sent for the change at {@code position}; its acknowledgement is the test's to complete. */
    private static CompletableFuture<Void> send(Acknowledgements acks, int position) {
        CompletableFuture<Void> acked = new CompletableFuture<>();
        Change change = commit(position, "k-" + position);
        acks.track(change.token(), 1, acked, null, change);
        return acked;
    }
}
