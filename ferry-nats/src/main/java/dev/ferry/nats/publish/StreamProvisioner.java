package dev.ferry.nats.publish;

import java.io.IOException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;

import dev.ferry.nats.NatsSettings;

/**
 * Creates Ferry's stream (file storage, limits retention, all of {@code <stream>.>}) or checks the one that exists.
 * The partition count is recorded in the stream's description, since server 2.9 drops stream metadata: a stream
 * made with another count is refused, because a key would then be read from a partition it was never written to.
 */
public final class StreamProvisioner {

    private static final Logger log = LoggerFactory.getLogger(StreamProvisioner.class);
    private static final Pattern RECORDED = Pattern.compile("ferry partitions=(\\d+)");
    /** JetStream's "stream not found". */
    private static final int STREAM_NOT_FOUND = 10059;

    private StreamProvisioner() {
    }

    public static void ensure(Connection connection, NatsSettings settings) {
        try {
            JetStreamManagement management = connection.jetStreamManagement();
            Optional<StreamInfo> existing = info(management, settings.stream());
            if (existing.isEmpty()) {
                management.addStream(configuration(settings));
                log.info("created NATS stream {} with {} partitions per type", settings.stream(), settings.partitions());
                return;
            }
            StreamConfiguration current = existing.get().getConfiguration();
            int recorded = recordedPartitions(current.getDescription(), settings.stream());
            if (recorded != settings.partitions()) {
                throw new IllegalStateException("NATS stream " + settings.stream() + " has " + recorded
                    + " partitions per type, the configuration says " + settings.partitions() + ": a key's partition "
                    + "would change; configure " + recorded + " or use a new stream");
            }
            if (!current.getDuplicateWindow().equals(settings.dedupeWindow()) || !current.getMaxAge().equals(settings.maxAge())) {
                management.updateStream(configuration(settings));
                log.info("NATS stream {}: dedupe window {} and max age {} applied", settings.stream(),
                    settings.dedupeWindow(), settings.maxAge());
            }
        } catch (IOException e) {
            throw new IllegalStateException("NATS unreachable while checking stream " + settings.stream() + ": "
                + e.getMessage(), e);
        } catch (JetStreamApiException e) {
            throw new IllegalStateException("NATS refused stream " + settings.stream() + ": " + e.getMessage(), e);
        }
    }

    static StreamConfiguration configuration(NatsSettings settings) {
        return StreamConfiguration.builder().name(settings.stream()).subjects(settings.subjects().all())
            .description("ferry partitions=" + settings.partitions()).storageType(StorageType.File)
            .retentionPolicy(RetentionPolicy.Limits).discardPolicy(DiscardPolicy.Old).replicas(settings.replicas())
            .maxAge(settings.maxAge()).duplicateWindow(settings.dedupeWindow()).build();
    }

    private static Optional<StreamInfo> info(JetStreamManagement management, String stream)
        throws IOException, JetStreamApiException {
        try {
            return Optional.of(management.getStreamInfo(stream));
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == STREAM_NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        }
    }

    private static int recordedPartitions(String description, String stream) {
        Matcher matcher = RECORDED.matcher(description == null ? "" : description);
        if (!matcher.find()) {
            throw new IllegalStateException("NATS stream " + stream + " was not created by Ferry (its description "
                + "records no partition count); use another stream name");
        }
        return Integer.parseInt(matcher.group(1));
    }
}
