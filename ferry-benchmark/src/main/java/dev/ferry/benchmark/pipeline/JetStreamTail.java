package dev.ferry.benchmark.pipeline;

import java.io.IOException;
import java.time.Duration;
import java.util.function.Consumer;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamApiException;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.impl.Headers;

import dev.ferry.core.wire.FerryHeaders;

/**
 * An ordered consumer of its own (ephemeral, no acknowledgements, from the stream's end) on a JetStream stream's
 * subjects, on a connection of its own: each message is handed over as it arrives, with the time the stream stored it,
 * so the benchmark observes the pipeline on NATS without joining Ferry's consumers.
 */
final class JetStreamTail implements PipelineTail {

    private final Connection connection;

    JetStreamTail(String url, String stream, String subjects, String name, Consumer<TailedRecord> onRecord) {
        try {
            connection = Nats.connect(new Options.Builder().server(url).connectionName(name)
                .connectionTimeout(Duration.ofSeconds(5)).errorListener(new ErrorsOnly()).build());
        } catch (IOException e) {
            throw new IllegalStateException("cannot connect to NATS at " + url + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while connecting to NATS", e);
        }
        try {
            Dispatcher dispatcher = connection.createDispatcher();
            connection.jetStream().subscribe(subjects, dispatcher, message -> onRecord.accept(observed(message)), false,
                PushSubscribeOptions.builder().stream(stream).ordered(true)
                    .configuration(ConsumerConfiguration.builder().deliverPolicy(DeliverPolicy.New).build()).build());
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            close();
            throw new IllegalStateException("cannot follow the stream " + stream + ": " + e.getMessage(), e);
        }
    }

    private static TailedRecord observed(Message message) {
        long seenAt = System.currentTimeMillis();
        Headers headers = message.getHeaders();
        return new TailedRecord(TailedRecord.epochOf(header(headers, FerryHeaders.FERRY_EPOCH)),
            TailedRecord.instantOf(header(headers, FerryHeaders.CE_TIME)), -1,
            message.metaData().timestamp().toInstant().toEpochMilli(), seenAt);
    }

    private static String header(Headers headers, String name) {
        return headers == null ? null : headers.getLast(name);
    }

    /** The client's errors on standard error; not its notes on flow control, which an ordered consumer gets often. */
    private static final class ErrorsOnly implements ErrorListener {
        @Override
        public void errorOccurred(Connection connection, String error) {
            System.err.println("NATS observer: " + error);
        }

        @Override
        public void exceptionOccurred(Connection connection, Exception exception) {
            System.err.println("NATS observer: " + exception);
        }
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
