package dev.ferry.core.relay;

import static dev.ferry.core.relay.TestTerm.commit;
import static dev.ferry.core.relay.TestTerm.token;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.ChangeSource;
import dev.ferry.core.relay.spi.CheckpointStore;
import dev.ferry.core.relay.spi.CheckpointStore.CopyProgress;
import dev.ferry.core.relay.spi.HistoryLost;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.core.relay.spi.StartPosition;

/**
 * Copies of sources' existing documents: resumable batch by batch, each batch's progress checkpointed only behind
 * what was sent before it; alongside the stream, a source's own changes caught up after its copy; operators'
 * requests taken up only once checkpointed; sources added since the checkpoint adopted.
 */
@Timeout(10)
class CopyingTest {

    private final TestTerm term = TestTerm.unbounded();
    private final InMemoryChangeSource source = new InMemoryChangeSource();
    private final InMemorySourceCopy copy = new InMemorySourceCopy(2)
        .with("orders", "o-1", "o-2", "o-3", "o-4", "o-5")
        .with("customers", "c-1");
    private final InMemoryCheckpointStore checkpoints = new InMemoryCheckpointStore();
    private final InMemoryPublisher publisher = new InMemoryPublisher();
    private Acknowledgements acks;

    @Test
    void beforeAnythingIsCopiedTheStreamsPositionIsNotedAndCheckpointedWithEveryCopyToDo() {
        source.append("orders", "o-0", "o-00", "o-000");

        CheckpointStore.Checkpoint started = Copying.begin(term.term, source, checkpoints, List.of("orders",
            "customers"), 12);

        assertThat(checkpoints.saves()).containsExactly(started);
        assertThat(started.token()).isEqualTo(token(3)); // the server's position, where the stream starts after
        assertThat(started.copies()).containsOnly(Map.entry("orders", new CopyProgress("", 0, false)),
            Map.entry("customers", new CopyProgress("", 0, false)));
        assertThat(started.sequence()).isEqualTo(12); // a re-copy continues the relay's output sequence
        assertThat(started.epoch()).isEqualTo(TestTerm.EPOCH);
    }

    @Test
    void aSourceThatReportsNoPositionUntilItIsReadIsNotedAfterWhatItsFirstReadReturned() {
        ChangeSource silent = start -> new ChangeSource.ChangeFeed() {
            @Override
            public List<Change> poll() {
                return List.of(commit(4, "k-4"), commit(5, "k-5"));
            }

            @Override
            public ResumeToken position() {
                return null;
            }

            @Override
            public void close() {
            }
        };

        assertThat(Copying.begin(term.term, silent, checkpoints, List.of("orders"), 0).token()).isEqualTo(token(5));
    }

    @Test
    void copiesBeforeStreamingBatchByBatchAndRecordsEachCopyCompleteOnceAcknowledged() {
        Copying copying = copying(5, Map.of("orders", new CopyProgress("", 0, false),
            "customers", new CopyProgress("", 0, false)));

        assertThat(copying.copyBeforeStreaming()).isTrue();
        assertThat(copying.settle()).isTrue();

        assertThat(publisher.sentKeys()).containsExactly("o-1", "o-2", "o-3", "o-4", "o-5", "c-1");
        assertThat(checkpoints.last().copies()).containsEntry("orders", new CopyProgress("5", 5, true))
            .containsEntry("customers", new CopyProgress("1", 1, true));
        assertThat(checkpoints.last().token()).isEqualTo(token(5)); // copied records keep the relay where it is
        assertThat(checkpoints.last().sequence()).isEqualTo(6);
    }

    @Test
    void aCopyGoesOnWhereItsAcknowledgedProgressEnded() {
        Copying copying = copying(5, Map.of("orders", new CopyProgress("2", 2, false)));

        assertThat(copying.copyBeforeStreaming()).isTrue();
        assertThat(publisher.sentKeys()).containsExactly("o-3", "o-4", "o-5");
        copying.settle();
        assertThat(checkpoints.last().copies()).containsEntry("orders", new CopyProgress("5", 5, true));
    }

    @Test
    void aCopysProgressMarkWaitsBehindEarlierPendingRecords() {
        Copying copying = copying(3, Map.of("orders", new CopyProgress("", 0, false, token(3))));
        publisher.held.add("s-4");
        new ChangeSender(term.term, publisher, acks).send(commit(4, "s-4"), token(4)); // streamed, not acknowledged

        copying.sendBatchAlongside("orders");
        acks.drainAcknowledged();
        acks.maybeCheckpoint(true);
        assertThat(publisher.sentKeys()).containsExactly("s-4", "o-1", "o-2");
        assertThat(checkpoints.saves()).isEmpty(); // the copy's progress waits for s-4

        publisher.ack("s-4");
        acks.drainAcknowledged();
        acks.maybeCheckpoint(true);
        assertThat(checkpoints.last().copies()).containsEntry("orders", new CopyProgress("2", 2, false, token(3)));
        assertThat(checkpoints.last().token()).isEqualTo(token(4));
    }

    @Test
    void aCopyAlongsideTheStreamCatchesItsSourcesOwnChangesUpToTheStreamThenIsComplete() {
        source.append("others", "x-1");  // 1: noted before the copy
        source.append("orders", "o-6"); // 2: made during the copy
        source.append("others", "x-2"); // 3
        source.append("orders", "o-7"); // 4: where the stream had got
        Copying copying = copying(4, Map.of("orders", new CopyProgress("5", 5, false, token(1))));

        assertThat(copying.catchUp("orders", token(4))).isTrue();

        assertThat(publisher.sentKeys()).containsExactly("o-6", "o-7");
        assertThat(checkpoints.last().copies()).containsEntry("orders", new CopyProgress("5", 5, true, null));
        assertThat(checkpoints.last().token()).isEqualTo(token(4)); // the stream's position, not moved back
        assertThat(copying.copiedAlongside()).isEmpty();
    }

    @Test
    void anOperatorsRequestIsTakenUpOnceEverythingSentIsAcknowledgedAndClearedOnceCheckpointed() {
        Copying copying = copying(9, Map.of("orders", new CopyProgress("5", 5, true)));
        checkpoints.requestCopy(TestTerm.RELAY, "orders");

        assertThat(copying.takeRequest(token(9))).isTrue();

        assertThat(checkpoints.last().copies()).containsEntry("orders", new CopyProgress("", 0, false, token(9)));
        assertThat(checkpoints.cleared).containsExactly("orders");
        assertThat(copying.copiedAlongside()).containsExactly("orders");
    }

    @Test
    void aRequestIsLeftToTheSuccessorOfALeaderDeposedBeforeItsCopyIsCheckpointed() {
        Copying copying = copying(9, Map.of("orders", new CopyProgress("5", 5, true)));
        publisher.held.add("s-10");
        new ChangeSender(term.term, publisher, acks).send(commit(10, "s-10"), token(10));
        checkpoints.requestCopy(TestTerm.RELAY, "orders");
        term.leading.set(false);

        assertThat(copying.takeRequest(token(10))).isFalse();
        assertThat(checkpoints.requests).containsExactly("orders");
        assertThat(checkpoints.saves()).isEmpty();
    }

    @Test
    void aRequestForASourceThatCannotBeCopiedIsClearedAndIgnored() {
        copy.notReady.add("orders");
        Copying copying = copying(9, Map.of("orders", new CopyProgress("5", 5, true)));
        checkpoints.requestCopy(TestTerm.RELAY, "orders"); // its index is missing
        checkpoints.requestCopy(TestTerm.RELAY, "unknown"); // no such source

        assertThat(copying.takeRequest(token(9))).isFalse();
        assertThat(checkpoints.cleared).containsExactlyInAnyOrder("orders", "unknown");
        assertThat(checkpoints.saves()).isEmpty();
        assertThat(copying.copiedAlongside()).isEmpty();
    }

    @Test
    void aSourceAddedSinceTheCheckpointIsCopiedAlongsideTheStreamFromWhereTheRelayIs() {
        Copying copying = copying(6, Map.of("orders", new CopyProgress("5", 5, true)));

        copying.adoptAddedSources();

        assertThat(checkpoints.last().copies()).containsEntry("customers", new CopyProgress("", 0, false, token(6)));
        assertThat(copying.copiedAlongside()).containsExactly("customers");
    }

    @Test
    void restartingFromNowAfterLostHistoryDropsACopyAlongsideTheStream() {
        acks = new Acknowledgements(term.term, checkpoints, 0, null, Map.of(
            "orders", new CopyProgress("2", 2, false, token(3)), "customers", new CopyProgress("1", 1, true)));
        Copying copying = copying(acks);

        assertThat(acks.copies()).containsOnlyKeys("customers");
        assertThat(copying.copiedAlongside()).isEmpty();
    }

    @Test
    void aStreamThatCannotOpenWhereTheCopyBeganSaysTheCopyOutlastedTheSourcesHistory() {
        Copying copying = copying(5, Map.of("orders", new CopyProgress("", 0, false)));
        copying.copyBeforeStreaming();
        source.retainedFrom = 8;

        assertThatThrownBy(() -> copying.open(new StartPosition.AfterToken(token(5)), source::open))
            .isInstanceOf(HistoryLost.class).hasMessageContaining("the copy of [orders] took")
            .hasMessageContaining("longer than the source's history window");
        assertThat(copying.outlastedHistory()).isTrue();
    }

    @Test
    void historyLostWithoutACopyIsNotTheCopysFault() {
        Copying copying = copying(5, Map.of());
        source.retainedFrom = 8;

        assertThatThrownBy(() -> copying.open(new StartPosition.AfterToken(token(5)), source::open))
            .isInstanceOf(HistoryLost.class).hasMessage("position 5 is no longer retained");
        assertThat(copying.outlastedHistory()).isFalse();
    }

    private Copying copying(int position, Map<String, CopyProgress> copies) {
        acks = new Acknowledgements(term.term, checkpoints, 0, token(position), copies);
        return copying(acks);
    }

    private Copying copying(Acknowledgements acks) {
        ChangeSender sender = new ChangeSender(term.term, publisher, acks);
        return new Copying(term.term, copy, source, checkpoints, acks, sender,
            new WatermarkCopies(term.term, copy, acks, sender));
    }
}
