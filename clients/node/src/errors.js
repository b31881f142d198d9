// The errors of appending and reading commits, named and worded as Ferry's Java API names and words them
// (dev.ferry.core.store.ConcurrencyConflict, EventTooLarge; dev.ferry.mongodb.store.CommitDocuments.MalformedCommit),
// so that a service handles a conflict from either side the same way.

/**
 * An append lost the race for its versions: another append stored them first, or the expected version was not the
 * aggregate's version. Nothing was stored. Reload the aggregate and decide again.
 */
export class ConcurrencyConflict extends Error {
  /**
   * @param {string} aggregateType
   * @param {string} aggregateId
   * @param {number} expectedVersion the version the append expected the aggregate to be at
   * @param {number} eventCount how many events the append carried
   * @param {number | null} actualVersion the aggregate's version as re-read after the conflict (null if that read failed)
   * @param {unknown} [cause] the duplicate-key error, when the insert lost the race
   */
  constructor(aggregateType, aggregateId, expectedVersion, eventCount, actualVersion, cause) {
    // Java's message, word for word, and the version found on the re-read, which Java does not make
    super(`concurrency conflict on ${aggregateType} ${aggregateId}: expected version ${expectedVersion}, but versions `
      + `${expectedVersion + 1}..${expectedVersion + eventCount} (or earlier ones) were already appended by someone `
      + `else${actualVersion === null ? '' : ` (the aggregate is at version ${actualVersion})`}; reload the aggregate `
      + 'and retry', cause === undefined ? undefined : { cause });
    this.name = 'ConcurrencyConflict';
    this.code = 'FERRY_CONCURRENCY_CONFLICT';
    this.aggregateType = aggregateType;
    this.aggregateId = aggregateId;
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
  }
}

/** An event is larger than the broker accepts; it is refused at append time, not discovered at publish time. */
export class EventTooLarge extends Error {
  constructor(eventType, aggregateId, bytes, limit) {
    super(`event ${eventType} of aggregate ${aggregateId} is ${bytes} bytes as published, over the broker's record `
      + `limit of ${limit} bytes`);
    this.name = 'EventTooLarge';
    this.code = 'FERRY_EVENT_TOO_LARGE';
    this.eventType = eventType;
    this.aggregateId = aggregateId;
    this.bytes = bytes;
    this.limit = limit;
  }
}

/**
 * A record the consumer did not apply and so does not acknowledge: a gap, a value that is not Ferry's, a handler that
 * broke its contract or kept failing. Its partition stops there (the record is delivered again after the consumer
 * restarts) until it is fixed, as Ferry's Java projector keeps a failing key from going on: never a silent skip.
 * A plain Error, so that kafkajs restarts the consumer rather than giving up on it.
 */
export class RecordNotApplied extends Error {
  /**
   * @param {string} reason why
   * @param {{ topic?: string, partition?: number, offset?: string, key?: string, version?: unknown }} record where
   * @param {unknown} [cause]
   */
  constructor(reason, record, cause) {
    super(`record ${record.topic}/${record.partition}@${record.offset} (key ${record.key}, version `
      + `${String(record.version)}) not applied, not acknowledged: ${reason}`, cause === undefined ? undefined : { cause });
    this.name = 'RecordNotApplied';
    this.code = 'FERRY_RECORD_NOT_APPLIED';
    this.topic = record.topic;
    this.partition = record.partition;
    this.offset = record.offset;
    this.key = record.key;
    this.version = record.version;
  }
}

/** A document in the event-store collection that is not a valid commit; the message names the first problem. */
export class MalformedCommit extends Error {
  constructor(reason) {
    super(reason);
    this.name = 'MalformedCommit';
    this.code = 'FERRY_MALFORMED_COMMIT';
  }
}
