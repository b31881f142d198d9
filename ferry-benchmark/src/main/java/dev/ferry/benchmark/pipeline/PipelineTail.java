package dev.ferry.benchmark.pipeline;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

import dev.ferry.config.FerryConfig;
import dev.ferry.core.wire.FerryHeaders;

/**
 * The pipeline's records read from outside Ferry as they are written, on whichever transport the relay publishes to:
 * a consumer group of its own on the Kafka topic ({@link TopicTail}), or an ordered consumer on the JetStream stream
 * ({@link JetStreamTail}). Each record is handed over as a {@link TailedRecord}.
 */
interface PipelineTail extends AutoCloseable {

    @Override
    void close();

    /** Starts reading from the end of the layout's topic or stream. */
    static PipelineTail open(ProductionLayout layout, String name, Duration pollTimeout, Consumer<TailedRecord> onRecord) {
        if (layout.transport() == FerryConfig.Transport.NATS) {
            return new JetStreamTail(layout.natsUrl(), ProductionLayout.STREAM, ProductionLayout.STREAM + "."
                + ProductionLayout.AGGREGATE_TYPE + ".>", name, onRecord);
        }
        TopicTail tail = new TopicTail(layout.bootstrapServers(), ProductionLayout.TOPIC, name, pollTimeout,
            record -> onRecord.accept(observed(record)));
        return tail::close;
    }

    private static TailedRecord observed(ConsumerRecord<byte[], byte[]> record) {
        long seenAt = System.currentTimeMillis();
        return new TailedRecord(TailedRecord.epochOf(header(record, FerryHeaders.FERRY_EPOCH)),
            TailedRecord.instantOf(header(record, FerryHeaders.CE_TIME)), record.timestamp(), -1, seenAt);
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
