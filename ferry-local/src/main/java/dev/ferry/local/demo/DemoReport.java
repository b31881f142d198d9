package dev.ferry.local.demo;

import java.util.Locale;

import dev.ferry.core.wire.EventJson;

/**
 * What the demo proves. Field names are a public contract: other tools read {@code ferry demo --json}.
 *
 * @param eventsAppended          events stored in the event store
 * @param eventsPublished         distinct events found in the topics
 * @param topicRecords            records in the topics (more than published when a failover re-published some)
 * @param eventsApplied           applies recorded in the read model's apply log
 * @param duplicatesApplied       events applied more than once (must be 0)
 * @param orderViolations         events applied out of version order (must be 0)
 * @param readModelExact          read model equals the fold of the event store, aggregate by aggregate
 * @param relayFailoverMillis     kill of the leader relay to the first event published by its successor
 * @param projectorFailoverMillis kill of a projector to its partitions owned by the others
 * @param throughputPerSecond     events appended per second of the run, all applied by its end
 * @param latency                 append to read model written, milliseconds
 * @param conflicts               appends rejected by optimistic concurrency and retried
 * @param transport               {@code kafka} or {@code nats}
 * @param streamDuplicates        records the transport stored more than once (counted by event id, on Kafka by a
 *                                {@code read_committed} reader): on Kafka what a relay failover re-published (none in
 *                                the exactly-once mode); on NATS what {@code Nats-Msg-Id} dedupe let through (normally
 *                                0). Harmless either way (the read model's version check skips them).
 * @param incompleteRead          null when the transport was read to its end; else what was not read (the report
 *                                then proves nothing about the transport, and the demo fails)
 */
public record DemoReport(long eventsAppended, long eventsPublished, long topicRecords, long eventsApplied,
                         long duplicatesApplied, long orderViolations, boolean readModelExact, long relayFailoverMillis,
                         long projectorFailoverMillis, double throughputPerSecond, Latency latency, long conflicts,
                         String transport, long streamDuplicates, String incompleteRead) {

    public record Latency(double p50, double p99, double p999) {
    }

    public boolean guaranteesHeld() {
        return duplicatesApplied == 0 && orderViolations == 0 && readModelExact && eventsPublished == eventsAppended
            && incompleteRead == null;
    }

    public String toJson() {
        return String.format(Locale.ROOT, "{\"eventsAppended\":%d,\"eventsPublished\":%d,\"eventsApplied\":%d,"
                + "\"duplicatesApplied\":%d,\"orderViolations\":%d,\"readModelExact\":%b,\"relayFailoverMillis\":%d,"
                + "\"projectorFailoverMillis\":%d,\"throughputPerSecond\":%.1f,"
                + "\"latencyMillis\":{\"p50\":%.1f,\"p99\":%.1f,\"p999\":%.1f},"
                + "\"topicRecords\":%d,\"conflicts\":%d,\"guaranteesHeld\":%b,\"transport\":\"%s\","
                + "\"streamDuplicates\":%d,\"incompleteRead\":%s}",
            eventsAppended, eventsPublished, eventsApplied, duplicatesApplied, orderViolations, readModelExact,
            relayFailoverMillis, projectorFailoverMillis, throughputPerSecond, latency.p50(), latency.p99(),
            latency.p999(), topicRecords, conflicts, guaranteesHeld(), transport, streamDuplicates,
            EventJson.quote(incompleteRead));
    }

    public String toText() {
        String read = incompleteRead == null ? "" : "  transport read:             FAILED: " + incompleteRead + "\n";
        return String.format(Locale.ROOT, """
            Ferry demo report (transport: %s)
              events appended:            %,d  (%,d conflicting appends retried)
              events published:           %,d  (%,d records: %,d re-published after the relay failover)
              stream duplicates:          %,d  (stored more than once, read as read_committed; 0 expected on NATS and in Kafka's exactly-once mode)
              events applied:             %,d
              duplicates applied:         %d  (must be 0)
              order violations:           %d  (must be 0)
              read model == fold of store: %s
              relay failover:             %,d ms  (leader killed: no lease release, producer not flushed)
              projector failover:         %,d ms  (instance killed: no commit, no leave)
              throughput:                 %,.0f events/s
              end-to-end latency:         p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms  (append -> read model written)
              guarantees held:            %s
            """, transport, eventsAppended, conflicts, eventsPublished, topicRecords, topicRecords - eventsPublished,
            streamDuplicates, eventsApplied,
            duplicatesApplied, orderViolations, readModelExact ? "yes" : "NO", relayFailoverMillis,
            projectorFailoverMillis, throughputPerSecond, latency.p50(), latency.p99(), latency.p999(),
            guaranteesHeld() ? "yes" : "NO") + read;
    }
}
