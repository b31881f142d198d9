// Ferry's event store from Node.js: the commit contract (docs/concepts.md, "The commit contract") over the service's
// own MongoClient, the same steps as Ferry's Java store (dev.ferry.mongodb.store.MongoEventStore), so that Java and
// Node services can append to the same aggregates and Ferry's relay publishes both alike.

import { Long } from 'bson';

import { buildCommit, checkAggregateType, decodeCommit, DEFAULT_MAX_EVENT_BYTES, storedVersion } from './commit-document.js';
import { isDuplicateKey } from './duplicate-key.js';
import { ConcurrencyConflict } from './errors.js';


/**
 * Appends events atomically with optimistic concurrency, and reads an aggregate's history: one commit document per
 * append, so no transaction is needed.
 */
export class EventStore {
  #commits;
  #maxEventBytes;
  #clock;

  /**
   * @param {import('mongodb').Collection | import('mongodb').Db} collectionOrDb the commits' collection, or a database
   *   whose `options.collection` (default `events`) holds them
   * @param {{ collection?: string, maxEventBytes?: number, clock?: () => Date }} [options]
   */
  constructor(collectionOrDb, { collection = 'events', maxEventBytes = DEFAULT_MAX_EVENT_BYTES, clock } = {}) {
    if (collectionOrDb == null || typeof collectionOrDb !== 'object') {
      throw new TypeError('an EventStore needs a mongodb Collection or Db');
    }
    const isCollection = typeof collectionOrDb.insertOne === 'function';
    if (!isCollection && typeof collectionOrDb.collection !== 'function') {
      throw new TypeError('an EventStore needs a mongodb Collection or Db');
    }
    if (!Number.isInteger(maxEventBytes) || maxEventBytes < 1) {
      throw new RangeError(`maxEventBytes must be a positive integer, was ${maxEventBytes}`);
    }
    this.#commits = isCollection ? collectionOrDb : collectionOrDb.collection(collection);
    this.#maxEventBytes = maxEventBytes;
    this.#clock = clock ?? (() => new Date());
  }

  /**
   * Creates the indexes the store's guarantees rest on, with the names Java gives them; idempotent. The unique
   * (aggregateType, aggregateId, firstVersion) is what two racing appends meet on; its lastVersion twin answers the
   * "does the last commit end at the expected version" check.
   * @returns {Promise<EventStore>}
   */
  async createIndexes() {
    await this.#commits.createIndexes([
      { key: { aggregateType: 1, aggregateId: 1, firstVersion: 1 }, name: 'aggregate_first_version', unique: true },
      { key: { aggregateType: 1, aggregateId: 1, lastVersion: 1 }, name: 'aggregate_last_version', unique: true },
    ]);
    return this;
  }

  /**
   * Appends events to one aggregate, all or nothing, with write concern majority.
   *
   * @param {string} aggregateType
   * @param {string} aggregateId
   * @param {number | bigint} expectedVersion the aggregate's version as the caller saw it (0 for a new aggregate)
   * @param {{ eventType: string, payload: object, metadata?: { correlationId?: string | null,
   *   causationId?: string | null } }[]} events
   * @returns {Promise<object[]>} the stored events, versions expectedVersion + 1 …
   * @throws {ConcurrencyConflict} if another append got there first or the aggregate is not at expectedVersion
   * @throws {EventTooLarge} if an event would be over the broker's record limit as published
   */
  async append(aggregateType, aggregateId, expectedVersion, events) {
    const { commit, events: stored } = buildCommit(aggregateType, aggregateId, expectedVersion, events, {
      maxEventBytes: this.#maxEventBytes,
      now: this.#clock(),
    });
    const expected = stored[0].version - 1;
    // The commit must continue the last one: without this check a commit could start past the aggregate's end.
    if (expected > 0 && !(await this.#commitEndsAt(aggregateType, aggregateId, expected))) {
      throw await this.#conflict(aggregateType, aggregateId, expected, stored.length);
    }
    try {
      await this.#commits.insertOne(commit, { writeConcern: { w: 'majority' } });
    } catch (error) {
      if (!isDuplicateKey(error)) {
        throw error;
      }
      // A retried insert whose first attempt was stored meets its own _id: that append succeeded.
      if (await this.#commits.findOne({ _id: commit._id }, { projection: { _id: 1 } })) {
        return stored;
      }
      throw await this.#conflict(aggregateType, aggregateId, expected, stored.length, error);
    }
    return stored;
  }

  /**
   * All events of one aggregate, in version order, each checked as Ferry's relay checks it.
   * @param {string} aggregateType
   * @param {string} aggregateId
   * @returns {Promise<object[]>}
   * @throws {MalformedCommit} if a stored document of the aggregate is not a valid commit
   */
  async readAggregate(aggregateType, aggregateId) {
    checkAggregateType(aggregateType);
    if (typeof aggregateId !== 'string') {
      throw new TypeError(`aggregateId must be a string, was ${typeof aggregateId}`);
    }
    const events = [];
    // A plain equality filter (the index's prefix), sorted on the unique index's last key.
    for await (const commit of this.#commits.find({ aggregateType, aggregateId }).sort({ firstVersion: 1 })) {
      events.push(...decodeCommit(commit));
    }
    return events;
  }

  /**
   * The aggregate's version: the last version of its last commit, 0 if it has none.
   * @returns {Promise<number>}
   */
  async currentVersion(aggregateType, aggregateId) {
    const last = await this.#commits.findOne({ aggregateType, aggregateId },
      { sort: { lastVersion: -1 }, projection: { _id: 0, lastVersion: 1 } });
    return last == null ? 0 : storedVersion(last.lastVersion, 'lastVersion');
  }

  async #commitEndsAt(aggregateType, aggregateId, version) {
    // an int64, as Java sends it (the server would match an int32 to a stored int64 too)
    const commit = await this.#commits.findOne({ aggregateType, aggregateId, lastVersion: Long.fromNumber(version) },
      { projection: { _id: 1 } });
    return commit != null;
  }

  /** The conflict, with the aggregate's version as it is now; a failed re-read leaves it out rather than hiding the conflict. */
  async #conflict(aggregateType, aggregateId, expectedVersion, eventCount, cause) {
    let actual = null;
    try {
      actual = await this.currentVersion(aggregateType, aggregateId);
    } catch {
      // the conflict is the news; its actual version is a courtesy
    }
    return new ConcurrencyConflict(aggregateType, aggregateId, expectedVersion, eventCount, actual, cause);
  }
}
