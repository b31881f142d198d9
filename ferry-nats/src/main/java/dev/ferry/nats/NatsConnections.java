package dev.ferry.nats;

import java.io.IOException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;

/** Opens connections as Ferry needs them: reconnecting without end, so an outage is ridden through. */
public final class NatsConnections {

    private NatsConnections() {
    }

    public static Connection open(NatsSettings settings, String name) {
        return connect(settings, new Options.Builder().connectionName(name).maxReconnects(-1)
            .reconnectWait(Duration.ofMillis(250)).connectionTimeout(Duration.ofSeconds(5)));
    }

    /** A connection that gives up instead of reconnecting: for checking at start-up that the servers answer. */
    public static Connection probe(NatsSettings settings, Duration timeout) {
        return connect(settings, new Options.Builder().connectionName("ferry-probe").maxReconnects(0)
            .noReconnect().connectionTimeout(timeout));
    }

    private static Connection connect(NatsSettings settings, Options.Builder options) {
        try {
            options.servers(settings.servers().toArray(String[]::new)).errorListener(new QuietErrorListener());
            settings.credentialsFile().ifPresent(file -> options.authHandler(Nats.credentials(file)));
            if (settings.tls()) {
                options.secure();
            }
            return Nats.connect(options.build());
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot connect to NATS at " + settings.servers() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while connecting to NATS", e);
        }
    }
}
