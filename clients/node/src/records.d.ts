/** Versions that go up by one per event (Ferry's own commits); a value without `versionRule` is contiguous. */
export declare const CONTIGUOUS: 'contiguous';
/** Versions with holes, only ever greater (an entity change's cluster-time string, a foreign store's revision). */
export declare const INCREASING: 'increasing';

export type VersionRule = 'contiguous' | 'increasing';

interface Delivered {
  topic: string;
  partition: number;
  /** The record's offset (Kafka) or stream sequence, as a string. */
  offset: string;
  /** Header values as text (the last one where a name repeats). */
  headers: Record<string, string>;
}

/** An event (docs/wire-format.md, "Events"): key = the aggregate id. */
export interface EventRecord extends Delivered {
  kind: 'event';
  key: string;
  version: number;
  versionRule: VersionRule;
  /** The event as published: eventId, aggregateType, aggregateId, version, eventType, timestamp, payload, metadata. */
  value: {
    eventId: string; aggregateType: string; aggregateId: string; version: number; eventType: string;
    timestamp: string; payload: Record<string, unknown>;
    metadata: { correlationId: string | null; causationId: string | null };
    versionRule?: VersionRule;
  };
}

/** An entity change (docs/wire-format.md, "Entity changes"): key = the document's `_id` as Ferry prints it. */
export interface EntityChangeRecord extends Delivered {
  kind: 'entity';
  key: string;
  /** Compared as a plain string, byte-wise. */
  version: string;
  versionRule: 'increasing';
  /** entity, id, operation, version, document (canonical Extended JSON; null for a delete), source, clusterTime, before? */
  value: {
    entity: string; id: string; operation: string; version: string; document: Record<string, unknown> | null;
    source: { db: string; collection: string }; clusterTime: { t: number; i: number };
    before?: Record<string, unknown> | null;
  };
}

/** After an entity's delete: nothing to do (the delete before it did the work). */
export interface TombstoneRecord extends Delivered {
  kind: 'tombstone';
  key: string | null;
  /** The delete's version (`ce_ferryversion`). */
  version: string | null;
  versionRule: 'increasing';
}

/** A value that is not a Ferry record; `reason` says why. */
export interface UndecodableRecord extends Delivered {
  kind: 'undecodable';
  key: string | null;
  version: null;
  versionRule: null;
  reason: string;
}

export type FerryRecord = EventRecord | EntityChangeRecord | TombstoneRecord | UndecodableRecord;

/** Header values as text. */
export declare function headerText(
  headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined): Record<string, string>;

/** Decodes one delivered record of a Ferry topic. */
export declare function decodeRecord(delivered: {
  topic: string; partition: number; offset: string; key: Buffer | string | null | undefined;
  value: Buffer | string | null | undefined; headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}): FerryRecord;
