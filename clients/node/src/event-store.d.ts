import type { Collection, Db, Document } from 'mongodb';

/** Tracing identifiers carried with an event. */
export interface EventMetadata {
  correlationId: string | null;
  causationId: string | null;
}

/** An event to append; the store assigns its id, version and timestamp. */
export interface NewEvent {
  /** e.g. `PatientRegistered`; not blank. */
  eventType: string;
  /** The event's data: a document, stored with the BSON types the driver gives its values. */
  payload: Document | Map<string, unknown>;
  metadata?: { correlationId?: string | null; causationId?: string | null } | null;
}

/** A stored event, as Ferry's relay publishes it (the wire envelope's fields). */
export interface StoredEvent {
  /** A random UUID, unique; consumers use it as an idempotency key. */
  eventId: string;
  aggregateType: string;
  aggregateId: string;
  /** 1-based, contiguous per aggregate. */
  version: number;
  eventType: string;
  /** When the event was appended (the appending host's clock, milliseconds). */
  timestamp: Date;
  payload: Document;
  metadata: EventMetadata;
}

export interface EventStoreOptions {
  /** The commits' collection when the store is given a Db; default `events`. */
  collection?: string;
  /** The broker's record limit an event must fit as published; default 1,000,000 (Java's default). */
  maxEventBytes?: number;
  /** The clock events are timestamped with; default `new Date()`. */
  clock?: () => Date;
}

/**
 * Ferry's event store over the service's own MongoClient: one commit document per append (the commit contract,
 * docs/concepts.md), optimistic concurrency on a unique index, write concern majority.
 */
export class EventStore {
  constructor(collectionOrDb: Collection | Db, options?: EventStoreOptions);

  /** Creates the two unique indexes the guarantees rest on (`aggregate_first_version`, `aggregate_last_version`); idempotent. */
  createIndexes(): Promise<this>;

  /**
   * Appends events to one aggregate, all or nothing.
   * @param expectedVersion the aggregate's version as the caller saw it (0 for a new aggregate)
   * @returns the stored events, versions `expectedVersion + 1 …`
   * @throws ConcurrencyConflict if another append got there first or the aggregate is not at `expectedVersion`
   * @throws EventTooLarge if an event would be over `maxEventBytes` as published
   * @throws TypeError | RangeError for input Ferry's Java store refuses too (aggregate type not `[A-Za-z0-9._-]+` or
   *   over 200 characters, blank id or event type, no events, a payload that is not a document, …)
   */
  append(aggregateType: string, aggregateId: string, expectedVersion: number | bigint,
    events: readonly NewEvent[]): Promise<StoredEvent[]>;

  /**
   * All events of one aggregate, in version order.
   * @throws MalformedCommit if a stored document of the aggregate is not a valid commit
   */
  readAggregate(aggregateType: string, aggregateId: string): Promise<StoredEvent[]>;

  /** The aggregate's current version: its last commit's lastVersion, 0 if it has none. */
  currentVersion(aggregateType: string, aggregateId: string): Promise<number>;
}
