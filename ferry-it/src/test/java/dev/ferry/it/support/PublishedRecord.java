package dev.ferry.it.support;

/** One record found in a topic, with what the checks need. */
public record PublishedRecord(String topic, int partition, long offset, String key, String eventId, String aggregateType,
                              String aggregateId, long version, long epoch, long sequence, String instance) {
}
