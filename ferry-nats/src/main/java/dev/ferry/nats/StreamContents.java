package dev.ferry.nats;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StreamState;

/**
 * Everything a stream holds, in stream order, read message by message: for verification (tests, the demo's
 * report), not for consuming.
 */
public final class StreamContents {

    private StreamContents() {
    }

    /** A stored message: its stream sequence, subject, headers (first value of each) and value. */
    public record StoredMessage(long sequence, String subject, Map<String, String> headers, byte[] value) {

        public String header(String name) {
            return headers.get(name);
        }
    }

    public static List<StoredMessage> read(Connection connection, String stream) {
        try {
            JetStreamManagement management = connection.jetStreamManagement();
            StreamState state = management.getStreamInfo(stream).getStreamState();
            List<StoredMessage> messages = new ArrayList<>();
            for (long sequence = state.getFirstSequence(); sequence <= state.getLastSequence() && state.getMsgCount() > 0;
                 sequence++) {
                MessageInfo info = management.getMessage(stream, sequence);
                Map<String, String> headers = new HashMap<>();
                if (info.getHeaders() != null) {
                    info.getHeaders().entrySet().forEach(e -> headers.put(e.getKey(), e.getValue().get(0)));
                }
                messages.add(new StoredMessage(info.getSeq(), info.getSubject(), headers, info.getData()));
            }
            return messages;
        } catch (IOException | JetStreamApiException e) {
            throw new IllegalStateException("cannot read stream " + stream + ": " + e.getMessage(), e);
        }
    }
}
