package dev.ferry.kafka.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class FirstSendGateTest {

    private final TopicPartition p0 = new TopicPartition("ferry.patient", 0);
    private final TopicPartition p1 = new TopicPartition("ferry.patient", 1);

    @Test
    void theSecondSendToAPartitionWaitsForTheFirstsAcknowledgement() throws Exception {
        FirstSendGate gate = new FirstSendGate(Duration.ofSeconds(30));
        CompletableFuture<Void> first = new CompletableFuture<>();
        gate.awaitFirstSend(p0);
        gate.sent(p0, first);

        Thread second = new Thread(() -> gate.awaitFirstSend(p0), "second-send");
        second.start();
        gate.awaitFirstSend(p1); // another partition is not held up

        // Waiting on the first's acknowledgement (a state, not a quiet window): it has not returned.
        await().atMost(Duration.ofSeconds(10)).until(() -> second.getState() == Thread.State.TIMED_WAITING
            || !second.isAlive());
        assertThat(second.isAlive()).as("the second send returned before the first was acknowledged").isTrue();
        first.complete(null);
        second.join(TimeUnit.SECONDS.toMillis(5));
        assertThat(second.isAlive()).isFalse();

        gate.sent(p0, new CompletableFuture<>()); // later sends never become the gate
        gate.awaitFirstSend(p0);
    }

    @Test
    void aFailedOrSlowFirstSendStopsThePublisherWithTheReason() {
        FirstSendGate gate = new FirstSendGate(Duration.ofMillis(100));
        gate.sent(p0, CompletableFuture.failedFuture(new IllegalStateException("NOT_LEADER_OR_FOLLOWER")));
        gate.sent(p1, new CompletableFuture<>());

        assertThatThrownBy(() -> gate.awaitFirstSend(p0)).hasMessageContaining("first publish to ferry.patient-0 failed")
            .hasMessageContaining("NOT_LEADER_OR_FOLLOWER");
        assertThatThrownBy(() -> gate.awaitFirstSend(p1)).hasMessageContaining("within 100 ms");
    }
}
