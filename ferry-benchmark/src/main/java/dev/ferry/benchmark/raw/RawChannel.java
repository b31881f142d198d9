package dev.ferry.benchmark.raw;

import java.util.List;

/**
 * The broker between the raw replication pipeline's change-stream reader and its appliers, as a plain client uses it:
 * one topic (Kafka) or stream (JetStream) of its own, keyed by id so that one id's changes stay in order, and one
 * consumer per replica.
 */
interface RawChannel extends AutoCloseable {

    /** Sends asynchronously; a failure surfaces at the next publish or at {@link #flush()}. */
    void publish(String key, byte[] value) throws Exception;

    /** Waits until everything published is acknowledged by the broker. */
    void flush() throws Exception;

    /** A consumer of its own group, subscribed (partitions assigned) when this returns. */
    Consumer consumer(String group) throws Exception;

    @Override
    void close();

    /** A replica's consumer: a poll returns what arrived (up to a batch), {@link #acknowledge()} commits it. */
    interface Consumer extends AutoCloseable {

        /** The next changes in delivery order; empty if none arrived within a short wait. */
        List<RawChange> poll() throws Exception;

        /** Commits everything polled so far. */
        void acknowledge() throws Exception;

        @Override
        void close();
    }
}
