package dev.ferry.nats.publish;

import java.time.Duration;
import java.util.UUID;
import java.util.function.Supplier;

import io.nats.client.Connection;

import dev.ferry.core.relay.spi.RecordPublisher;
import dev.ferry.nats.NatsConnections;
import dev.ferry.nats.NatsSettings;

/**
 * Makes a NATS publisher per leadership term, each on a connection of its own (an aborted term's connection is
 * closed, as a crashed producer's would be). The stream is checked, or created, at every term's start, so a stream
 * re-created with another partition count is refused before anything is published into it.
 */
public final class NatsPublishers implements Supplier<RecordPublisher> {

    /** How long a publish may wait for the stream's acknowledgement (the relay restarts its term after it). */
    public static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(30);

    private final NatsSettings settings;

    public NatsPublishers(NatsSettings settings) {
        this.settings = settings;
    }

    @Override
    public RecordPublisher get() {
        Connection connection = NatsConnections.open(settings, "ferry-relay-" + UUID.randomUUID().toString().substring(0, 8));
        try {
            StreamProvisioner.ensure(connection, settings);
            return new NatsRecordPublisher(connection, settings, PUBLISH_TIMEOUT);
        } catch (RuntimeException e) {
            try {
                connection.close();
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
            throw e;
        }
    }

    /** Creates the stream or checks it, e.g. when a projector starts before any relay. */
    public void ensureStream() {
        Connection connection = NatsConnections.open(settings, "ferry-admin");
        try {
            StreamProvisioner.ensure(connection, settings);
        } finally {
            try {
                connection.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
