/**
 * An append lost the race for its versions: another append stored them first, or the expected version was not the
 * aggregate's version. Nothing was stored. Reload the aggregate and decide again. The same fields as Ferry's Java
 * `dev.ferry.core.store.ConcurrencyConflict`, and the version the aggregate was found at afterwards.
 */
export class ConcurrencyConflict extends Error {
  readonly name: 'ConcurrencyConflict';
  readonly code: 'FERRY_CONCURRENCY_CONFLICT';
  readonly aggregateType: string;
  readonly aggregateId: string;
  /** The version the append expected the aggregate to be at. */
  readonly expectedVersion: number;
  /**
   * The aggregate's version re-read after the conflict (0: no commit), or null if that read failed. It may already be
   * past the version that caused the conflict.
   */
  readonly actualVersion: number | null;
}

/** An event is larger than the broker accepts as published; refused at append time. Nothing was stored. */
export class EventTooLarge extends Error {
  readonly name: 'EventTooLarge';
  readonly code: 'FERRY_EVENT_TOO_LARGE';
  readonly eventType: string;
  readonly aggregateId: string;
  /** The event's size as Ferry's relay publishes it (its JSON envelope, UTF-8). */
  readonly bytes: number;
  readonly limit: number;
}

/** A document in the event-store collection that is not a valid commit; the message names the first problem. */
export class MalformedCommit extends Error {
  readonly name: 'MalformedCommit';
  readonly code: 'FERRY_MALFORMED_COMMIT';
}

/**
 * A record the consumer did not apply and does not acknowledge (a gap, a value that is not Ferry's, a handler that
 * broke its contract or kept failing): its partition stops there until it is fixed. A plain Error, so that kafkajs
 * restarts the consumer rather than giving up on it.
 */
export class RecordNotApplied extends Error {
  readonly name: 'RecordNotApplied';
  readonly code: 'FERRY_RECORD_NOT_APPLIED';
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: string;
  readonly key?: string;
  readonly version?: unknown;
}
