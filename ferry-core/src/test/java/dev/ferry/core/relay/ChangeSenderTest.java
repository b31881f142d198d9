package dev.ferry.core.relay;

import static dev.ferry.core.relay.TestTerm.commit;
import static dev.ferry.core.relay.TestTerm.token;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.EntityOperation;
import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.RecordRefused;

/**
 * A change is sent whole, each record at the next position of the relay's output, or dead-lettered whole with the
 * reason when the transport cannot carry any of it; a dead letter takes no position.
 */
@Timeout(10)
class ChangeSenderTest {

    private final TestTerm term = TestTerm.unbounded();
    private final InMemoryPublisher publisher = new InMemoryPublisher();
    private final Acknowledgements acks = new Acknowledgements(term.term, new InMemoryCheckpointStore(), 40, token(0),
        Map.of());
    private final ChangeSender sender = new ChangeSender(term.term, publisher, acks);

    @Test
    void sendsEveryRecordOfAChangeEachAtTheNextPositionOfTheRelaysOutput() {
        EntityChange deleted = new EntityChange("customer", "c-1", EntityOperation.DELETE, entityVersion(), null, null,
            "shop", "customers", 1, 1);
        sender.send(new Change.EntityChanged(token(1), deleted), token(1));
        sender.send(commit(2, "k-2"), token(2));

        assertThat(publisher.sentKeys()).containsExactly("c-1", "c-1", "k-2"); // the change, its tombstone, then k-2
        assertThat(publisher.sent).extracting(sent -> sent.provenance().sequence()).containsExactly(41L, 42L, 43L);
        assertThat(publisher.sent).allSatisfy(sent -> {
            assertThat(sent.provenance().epoch()).isEqualTo(TestTerm.EPOCH);
            assertThat(sent.provenance().instanceId()).isEqualTo("i-1");
        });
        assertThat(acks.sequence()).isEqualTo(43);
        acks.drainAcknowledged();
        assertThat(acks.acknowledged()).isEqualTo(token(2));
        assertThat(term.progress.published()).isEqualTo(3);
    }

    @Test
    void aChangeOneOfWhoseRecordsCannotBePreparedIsDeadLetteredWholeAndNothingOfItIsSent() {
        publisher.unpreparable.put("k-2", new IllegalStateException("no encoding for k-2"));
        sender.send(commit(1, "k-1", "k-2", "k-3"), token(1));
        sender.send(commit(2, "k-4"), token(2));

        assertThat(publisher.sentKeys()).containsExactly("k-4");
        InMemoryPublisher.DeadLetter deadLetter = publisher.deadLetters.get(0);
        assertThat(publisher.deadLetters).hasSize(1);
        assertThat(deadLetter.malformed().reason()).contains("cannot be made into a record")
            .contains("no encoding for k-2");
        assertThat(deadLetter.malformed().cause()).isEqualTo(Change.Refused.Cause.UNCARRIABLE);
        assertThat(deadLetter.malformed().documentJson()).contains("\"k-1\"", "\"k-2\"", "\"k-3\"");
        assertThat(deadLetter.provenance().sequence()).isEqualTo(40);
        assertThat(publisher.sent.get(0).provenance().sequence()).isEqualTo(41); // the dead letter took no position
        acks.drainAcknowledged();
        assertThat(term.progress.deadLettered()).isEqualTo(1);
        assertThat(acks.acknowledged()).isEqualTo(token(2));
    }

    @Test
    void aRecordOverTheTransportsSizeLimitIsDeadLetteredAsOversized() {
        publisher.unpreparable.put("k-1", new RecordRefused("would be 2097764 bytes", true));
        sender.send(commit(1, "k-1"), token(1));

        assertThat(publisher.deadLetters).singleElement().satisfies(deadLetter -> {
            assertThat(deadLetter.malformed().cause()).isEqualTo(Change.Refused.Cause.OVERSIZED);
            assertThat(deadLetter.malformed().reason()).isEqualTo("would be 2097764 bytes");
        });
        acks.drainAcknowledged();
        assertThat(term.progress.oversized()).isEqualTo(1);
    }

    @Test
    void aChangeWhoseFirstRecordIsRefusedAtOnceIsDeadLetteredWholeWithoutTakingAPosition() {
        publisher.refusedAtOnce.add("k-1");
        sender.send(commit(1, "k-1"), token(1));
        sender.send(commit(2, "k-2"), token(2));

        assertThat(publisher.deadLetters).singleElement()
            .satisfies(deadLetter -> assertThat(deadLetter.malformed().reason()).contains("collides"));
        assertThat(publisher.sent).singleElement().satisfies(sent -> {
            assertThat(sent.key()).isEqualTo("k-2");
            assertThat(sent.provenance().sequence()).isEqualTo(41);
        });
    }

    @Test
    void aMalformedDocumentIsDeadLetteredWithItsReasonAtTheGivenPosition() {
        Change.Refused malformed = new Change.Refused(token(1), "{\"_id\":1}", "not a valid commit: 'events' missing");
        sender.send(malformed, token(0));

        assertThat(publisher.deadLetters).singleElement().satisfies(deadLetter -> assertThat(deadLetter.malformed())
            .isEqualTo(malformed));
        acks.drainAcknowledged();
        assertThat(acks.acknowledged()).isEqualTo(token(0));
        assertThat(term.progress.deadLettered()).isEqualTo(1);
    }

    @Test
    void aChangeTheBrokerRefusedBeforeIsDeadLetteredWhenReadAgainAndARefusedDeadLetterLosesItsDocument() {
        Change refused = commit(1, "k-1");
        term.refusals.remember(refused, new RecordRefused("over the topic's max.message.bytes", true), false);
        sender.send(commit(1, "k-1"), token(1));

        assertThat(publisher.sent).isEmpty();
        assertThat(publisher.deadLetters).singleElement().satisfies(deadLetter -> {
            assertThat(deadLetter.malformed().reason()).isEqualTo("over the topic's max.message.bytes");
            assertThat(deadLetter.malformed().cause()).isEqualTo(Change.Refused.Cause.OVERSIZED);
        });

        Change.Refused malformed = new Change.Refused(token(2), "{\"big\":\"…\"}", "not a valid commit");
        term.refusals.remember(malformed, new RecordRefused("dead letter too large", true), true);
        sender.send(malformed, token(2));
        assertThat(publisher.deadLetters.get(1).malformed().documentJson()).isEqualTo("{}");
        assertThat(publisher.deadLetters.get(1).malformed().reason())
            .contains("its dead letter with the document was refused by the broker: dead letter too large");
    }

    private static EntityVersion entityVersion() {
        return EntityVersion.ofClusterTime(1, 1, 0);
    }
}
