import type { RecordNotApplied } from './errors.js';
import type { EntityChangeRecord, EventRecord, FerryRecord, VersionRule } from './records.js';

export declare const Decision: Readonly<{
  APPLIED: 'applied';
  DUPLICATE: 'duplicate';
  GAP: 'gap';
  TOMBSTONE: 'tombstone';
  UNDECODABLE: 'undecodable';
}>;
export type DecisionName = 'applied' | 'duplicate' | 'gap' | 'tombstone' | 'undecodable';

/** A version as a store may hold it: an integer (number, bigint, a BSON Long/Int32/Double), a string, or nothing. */
export type StoredVersion = number | bigint | string | { _bsontype: string } | null | undefined;

/** Where the handler's writes keep each key's version: e.g. {@link MongoReadModel}. */
export interface VersionStore {
  /** The version last applied to `key`; null or undefined if none. */
  lastVersion(key: string, record: EventRecord | EntityChangeRecord): Promise<StoredVersion>;
}

/**
 * What the handler writes under: apply the record's change only if the store is still at `expected` (nothing
 * stored when null), and set the store's version to `version`, in one atomic write.
 */
export interface Guard {
  readonly key: string;
  readonly version: number | string;
  readonly versionRule: VersionRule;
  readonly expected: StoredVersion;
}

/**
 * Writes the record's change conditionally on `guard.expected` and resolves to whether the write landed: `true`, or
 * `false` when the condition matched nothing (the version moved: the consumer reads it again and decides again).
 * Anything else is refused with {@link RecordNotApplied} (a forgotten `return` would hold the key's version still).
 * Throwing is retried with backoff; the record is acknowledged only after this resolved.
 */
export type Handler = (record: EventRecord | EntityChangeRecord, guard: Guard) => Promise<boolean> | boolean;

export interface Gap {
  key: string;
  stored: StoredVersion;
  version: number | string;
  topic: string;
  partition: number;
  offset: string;
  record: EventRecord | EntityChangeRecord;
}

export interface DecisionReport {
  decision: DecisionName;
  key: string | null;
  version: number | string | null;
  /** The version the store held when deciding (null for nothing, tombstones and undecodable records). */
  stored: StoredVersion;
  topic: string;
  partition: number;
  offset: string;
}

export interface RetryOptions {
  /** Attempts of a record before its error reaches the consumer (the record is then not acknowledged); default 5. */
  attempts?: number;
  /** First backoff, doubled per attempt, with jitter; default 200 ms. */
  initialMs?: number;
  /** Longest backoff; default 5,000 ms. */
  maxMs?: number;
}

export interface GuardOptions {
  versions: VersionStore;
  handle: Handler;
  /**
   * A contiguous version ahead of stored + 1: never applied. Default: throws {@link RecordNotApplied}, so the record
   * is not acknowledged and its partition stops there; returning normally acknowledges it unapplied.
   */
  onGap?: (gap: Gap) => unknown;
  /** Every decision, for logs and counts. */
  onDecision?: (decision: DecisionReport) => unknown;
  /** A value that is not Ferry's. Default: throws {@link RecordNotApplied}, as for a gap; returning normally skips it. */
  onUndecodable?: (record: FerryRecord & { kind: 'undecodable' }) => unknown;
  retry?: RetryOptions;
}

/** Integers numerically, strings byte-wise over their UTF-8; both of one kind. */
export declare function compareVersions(a: StoredVersion, b: StoredVersion): number;

/** What to do with `version` when the store holds `stored`. */
export declare function decide(rule: VersionRule, stored: StoredVersion, version: number | bigint | string):
  'next' | 'duplicate' | 'gap';

/** The per-record loop of an ordered consumer (transport neutral). */
export declare class VersionGuard {
  constructor(options: GuardOptions & { sleep?: (ms: number) => Promise<void> });
  process(record: FerryRecord, session?: { heartbeat?: () => Promise<void>; isRunning?: () => boolean }):
    Promise<DecisionName>;
}
