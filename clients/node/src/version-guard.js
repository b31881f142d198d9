// Applies each delivered record at most once and only in order, by its version, as Ferry's Java projector does
// (docs/concepts.md, "Projectors"; ReadModelWriter's outcomes APPLIED, DUPLICATE, GAP): a version at or below the
// stored one is a duplicate (a redelivery, a replay after a rebalance) and skipped; CONTIGUOUS versions are applied
// exactly at stored + 1 and a higher one is a gap, reported and never applied; INCREASING versions are applied over
// any lower one. The stored version lives in the consumer's own store, written by the same atomic write as the
// handler's change (a conditional update on the version read), so the decision and the write cannot be split.
// Transport neutral: the Kafka consumer feeds it, the NATS one will.

import { RecordNotApplied } from './errors.js';
import { CONTIGUOUS, INCREASING } from './records.js';

/** What the guard did with a record. */
export const Decision = Object.freeze({
  /** The handler's write landed: the store is now at the record's version. */
  APPLIED: 'applied',
  /** The store is at or past the record's version: nothing done (a redelivery, a replay, an older record). */
  DUPLICATE: 'duplicate',
  /** CONTIGUOUS only: the store is below the version before the record; an event is missing. Nothing done. */
  GAP: 'gap',
  /** A tombstone: the delete before it did the work. */
  TOMBSTONE: 'tombstone',
  /** Not a Ferry record (reported, then skipped). */
  UNDECODABLE: 'undecodable',
});

/** Times the stored version may move between the guard's read and the handler's conditional write, as Java's writer. */
const MAX_MOVES = 5;

/**
 * A version as a comparable value: integers (number, bigint, a BSON Long/Int32/Double) as a bigint, strings as they
 * are; null or undefined for "nothing stored".
 */
function comparable(version) {
  if (version === null || version === undefined) {
    return null;
  }
  if (typeof version === 'bigint' || typeof version === 'string') {
    return version;
  }
  if (typeof version === 'number') {
    if (!Number.isSafeInteger(version)) {
      throw new TypeError(`a version must be an integer, a bigint or a string, was ${version}`);
    }
    return BigInt(version);
  }
  if (typeof version === 'object' && typeof version._bsontype === 'string') {
    // the driver gives Long, Int32 or Double when the client was made with promoteValues: false
    return version._bsontype === 'Long' ? BigInt(version.toString()) : comparable(version.valueOf());
  }
  throw new TypeError(`a version must be an integer, a bigint or a string, was ${String(version)}`);
}

/**
 * Compares two versions of one key: integers numerically, strings byte-wise over their UTF-8 (as Java compares an
 * entity's versions). Both must be of one kind.
 * @returns {number} negative, 0 or positive
 */
export function compareVersions(a, b) {
  const left = comparable(a);
  const right = comparable(b);
  if (typeof left !== typeof right) {
    throw new TypeError(`versions of one key must be of one kind: ${String(a)} (${typeof a}) and ${String(b)} `
      + `(${typeof b}); is the stored version written by something else?`);
  }
  if (typeof left === 'string') {
    return Buffer.compare(Buffer.from(left, 'utf8'), Buffer.from(right, 'utf8'));
  }
  return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * What to do with `version` when the store holds `stored` (null: nothing yet).
 * @param {'contiguous' | 'increasing'} rule
 * @returns {'next' | 'duplicate' | 'gap'}
 */
export function decide(rule, stored, version) {
  if (rule !== CONTIGUOUS && rule !== INCREASING) {
    throw new RangeError(`unknown version rule ${rule}`);
  }
  if (rule === INCREASING) {
    return stored === null || stored === undefined || compareVersions(version, stored) > 0 ? 'next' : 'duplicate';
  }
  const at = comparable(stored) ?? 0n;
  const next = comparable(version);
  if (typeof next !== 'bigint' || typeof at !== 'bigint') {
    throw new TypeError(`contiguous versions are integers, got ${String(version)} over ${String(stored)}`);
  }
  return next <= at ? 'duplicate' : next === at + 1n ? 'next' : 'gap';
}

/**
 * The per-record loop of an ordered consumer: decide by the stored version, call the handler for the next version
 * only, re-decide when the handler's conditional write found the version moved, retry a failure with backoff.
 */
export class VersionGuard {
  #versions;
  #handle;
  #onGap;
  #onDecision;
  #onUndecodable;
  #retry;
  #sleep;

  /**
   * @param {object} options
   * @param {{ lastVersion(key: string, record: object): Promise<unknown> }} options.versions the store's versions
   * @param {(record: object, guard: object) => Promise<boolean>} options.handle writes the record's change
   *   conditionally on `guard.expected`; resolves to `true` if the write landed, `false` if that condition matched
   *   nothing (anything else is refused: a handler that forgot to return its write's outcome would let the version
   *   stand still)
   * @param {(gap: object) => unknown} [options.onGap] a contiguous version ahead of stored + 1. Default: throws
   *   {@link RecordNotApplied}, so the record is not acknowledged and its partition stops there; returning normally
   *   acknowledges the record unapplied (and the key's later records are gaps too)
   * @param {(decision: object) => unknown} [options.onDecision] every decision, for logs and counts
   * @param {(record: object) => unknown} [options.onUndecodable] a value that is not Ferry's. Default: throws
   *   {@link RecordNotApplied}, as for a gap; returning normally skips it
   * @param {{ attempts?: number, initialMs?: number, maxMs?: number }} [options.retry]
   * @param {(ms: number) => Promise<void>} [options.sleep] for tests
   */
  constructor({ versions, handle, onGap, onDecision, onUndecodable, retry = {}, sleep } = {}) {
    if (typeof versions?.lastVersion !== 'function') {
      throw new TypeError('versions must have lastVersion(key): the store the handler writes its version to');
    }
    if (typeof handle !== 'function') {
      throw new TypeError('handle must be a function (record, guard) that writes conditionally on guard.expected');
    }
    this.#versions = versions;
    this.#handle = handle;
    this.#onGap = onGap ?? ((gap) => {
      throw new RecordNotApplied(`a gap: the store is at version ${gap.stored ?? 0}, so an earlier record of the key `
        + 'is missing (give onGap to decide otherwise)', gap);
    });
    this.#onDecision = onDecision ?? (() => {});
    this.#onUndecodable = onUndecodable ?? ((record) => {
      throw new RecordNotApplied(`not Ferry's: ${record.reason} (give onUndecodable to skip such records)`, record);
    });
    this.#retry = { attempts: retry.attempts ?? 5, initialMs: retry.initialMs ?? 200, maxMs: retry.maxMs ?? 5_000 };
    this.#sleep = sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * Handles one record to the end: applied, skipped, or reported. Throws when the retries ran out or a gap or an
   * undecodable record was not accepted by its callback (the record is then not done and must not be acknowledged).
   *
   * @param {object} record a decoded record ({@link decodeRecord})
   * @param {{ heartbeat?: () => Promise<void>, isRunning?: () => boolean }} [session] kept alive while retrying
   * @returns {Promise<string>} the {@link Decision}
   */
  async process(record, { heartbeat = async () => {}, isRunning = () => true } = {}) {
    if (record.kind === 'tombstone') {
      return this.#decided(Decision.TOMBSTONE, record, null);
    }
    if (record.kind === 'undecodable') {
      await this.#onUndecodable(record);
      return this.#decided(Decision.UNDECODABLE, record, null);
    }
    for (let attempt = 1; ; attempt++) {
      let outcome;
      try {
        outcome = await this.#once(record);
      } catch (error) {
        if (error instanceof RecordNotApplied || attempt >= this.#retry.attempts || !isRunning()) {
          throw error; // a handler that broke its contract would break it again
        }
        // A failed write may have landed all the same (a timeout after the server applied it): the next attempt
        // reads the version again, so it then finds a duplicate instead of applying twice.
        const backoff = Math.min(this.#retry.maxMs, this.#retry.initialMs * 2 ** (attempt - 1));
        await this.#sleep(backoff * (0.5 + Math.random() / 2));
        await heartbeat();
        continue;
      }
      if (outcome.decision === Decision.GAP) {
        // Outside the retries: a callback that refuses the gap stops here, once, not once per attempt.
        await this.#onGap({ key: record.key, stored: outcome.stored, version: record.version, topic: record.topic,
          partition: record.partition, offset: record.offset, record });
      }
      return this.#decided(outcome.decision, record, outcome.stored);
    }
  }

  async #once(record) {
    for (let move = 1; move <= MAX_MOVES; move++) {
      const stored = await this.#versions.lastVersion(record.key, record);
      const decision = decide(record.versionRule, stored, record.version);
      if (decision === 'duplicate') {
        return { decision: Decision.DUPLICATE, stored: stored ?? null };
      }
      if (decision === 'gap') {
        return { decision: Decision.GAP, stored: stored ?? null };
      }
      const guard = Object.freeze({ key: record.key, version: record.version, versionRule: record.versionRule,
        expected: stored ?? null });
      const written = await this.#handle(record, guard);
      if (written === true) {
        return { decision: Decision.APPLIED, stored: stored ?? null };
      }
      if (written !== false) {
        throw new RecordNotApplied(`the handler resolved to ${String(written)}, not to whether its write landed `
          + '(true or false): return the read model\'s apply(…), e.g. `return readModel.apply(guard, update)`', record);
      }
      // the store's version moved since it was read (another writer, a previous owner): decide again
    }
    throw new Error(`the stored version of ${record.key} kept changing under this consumer ${MAX_MOVES} times: is `
      + 'another consumer writing it outside the group?');
  }

  async #decided(decision, record, stored) {
    await this.#onDecision({ decision, key: record.key, version: record.version, stored: stored ?? null,
      topic: record.topic, partition: record.partition, offset: record.offset });
    return decision;
  }
}
