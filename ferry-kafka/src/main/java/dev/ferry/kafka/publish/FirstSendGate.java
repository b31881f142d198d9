package dev.ferry.kafka.publish;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.common.TopicPartition;

/**
 * Lets a producer's first record to a partition go alone: nothing else is sent there until it is acknowledged.
 * Otherwise, if that first batch meets NOT_LEADER_OR_FOLLOWER (a topic just created, a leader moving) while a later
 * batch gets in, the broker, having no state for this producer on the partition yet, accepts the later one, and
 * the first can then never be written (KAFKA-15591): the partition would hold version 2 of an aggregate without
 * version 1. Used by the one thread that publishes.
 */
final class FirstSendGate {

    private final Duration timeout;
    private final Map<TopicPartition, CompletableFuture<Void>> firstSends = new HashMap<>();

    FirstSendGate(Duration timeout) {
        this.timeout = timeout;
    }

    /**
     * Waits until the partition's first send, if one is pending, is acknowledged.
     *
     * @throws IllegalStateException if it failed or took longer than the timeout (the publisher gives up its term)
     */
    void awaitFirstSend(TopicPartition partition) {
        CompletableFuture<Void> first = firstSends.get(partition);
        if (first == null || (first.isDone() && !first.isCompletedExceptionally())) {
            return;
        }
        try {
            first.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("the first publish to " + partition + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("no acknowledgement of the first publish to " + partition + " within "
                + timeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the first publish to " + partition, e);
        }
    }

    /** Records a send; the first one to a partition becomes its gate. */
    void sent(TopicPartition partition, CompletableFuture<Void> acknowledged) {
        firstSends.putIfAbsent(partition, acknowledged);
    }
}
