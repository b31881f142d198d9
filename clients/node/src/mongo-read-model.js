// A read model in MongoDB guarded by version, as Ferry's Java MongoReadModelWriter keeps one: one document per key,
// its `_version` the last version applied, and every change one conditional update on {_id, _version: <the version the
// guard read>} that sets the new version in the same write — so a change applies once and only in order, even when a
// previous owner of the partition is still writing (its update finds the version moved and changes nothing).

import { Long } from 'bson';

import { isDuplicateKey } from './duplicate-key.js';

/** The fields this read model keeps beside the handler's own. */
export const VERSION = '_version';
export const LAST_RECORD = '_lastRecordId';
/** Set on a key whose record deleted it: the document keeps its version, so a redelivered older change stays out. */
export const DELETED = '_deleted';


/**
 * @example
 *   const patients = new MongoReadModel(db.collection('patients'));
 *   // in the consumer: versions: patients, and in the handler
 *   return patients.apply(guard, { $set: { name: event.payload.name }, $inc: { visits: 1 } });
 */
export class MongoReadModel {
  #collection;

  /** @param {import('mongodb').Collection} collection one document per key, `_id` = the record's key */
  constructor(collection) {
    if (typeof collection?.updateOne !== 'function' || typeof collection?.findOne !== 'function') {
      throw new TypeError('a MongoReadModel needs a mongodb Collection');
    }
    this.#collection = collection;
  }

  /**
   * The version last applied to `key`'s document; null if it has none.
   * @param {string} key
   */
  async lastVersion(key) {
    const document = await this.#collection.findOne({ _id: key }, { projection: { [VERSION]: 1 } });
    return document?.[VERSION] ?? null;
  }

  /**
   * Applies `update` (update operators: `$set`, `$inc`, `$push`, `$unset`, …) to the key's document together with the
   * guard's version, only if the document is still at `guard.expected` (no `_version` when that is null: the document
   * is then created). Resolves to false, writing nothing, if it is not: the consumer reads the version again and
   * decides again (usually: a duplicate, which another writer applied meanwhile).
   *
   * @param {{ key: string, version: number | string, expected: unknown }} guard what the consumer handed the handler
   * @param {import('mongodb').UpdateFilter<import('mongodb').Document>} [update] the record's change; none: only the
   *   version moves (a record this read model does not use still counts, as in Java)
   * @param {{ recordId?: string, session?: import('mongodb').ClientSession }} [options] `recordId` is stored in
   *   `_lastRecordId` (e.g. the event id); `session` for a transaction of the caller's
   * @returns {Promise<boolean>} whether the update landed
   */
  async apply(guard, update = {}, { recordId, session } = {}) {
    if (guard === null || typeof guard !== 'object' || guard.key === undefined || guard.version === undefined) {
      throw new TypeError('apply needs the guard the consumer handed the handler');
    }
    if (update === null || typeof update !== 'object' || Array.isArray(update)) {
      throw new TypeError('update must be a document of update operators ($set, $inc, …)');
    }
    for (const [operator, fields] of Object.entries(update)) {
      if (!operator.startsWith('$')) {
        throw new TypeError(`update must hold update operators only, found the field ${operator}`);
      }
      if (fields && typeof fields === 'object' && (VERSION in fields || LAST_RECORD in fields || '_id' in fields)) {
        throw new TypeError(`${operator} must not set ${VERSION}, ${LAST_RECORD} or _id: the read model sets them`);
      }
    }
    const set = { ...(update.$set ?? {}), [VERSION]: stored(guard.version) };
    if (recordId !== undefined) {
      set[LAST_RECORD] = recordId;
    }
    // a change after a delete (an entity created again) makes the document live again
    const unset = { ...(update.$unset ?? {}), [DELETED]: '' };
    return this.#conditionally(guard, (filter, options) => this.#collection.updateOne(filter,
      { ...update, $set: set, $unset: unset }, options), session);
  }

  /**
   * Deletes the key's document as Java's read model writer does: its fields go, `_version` stays with `_deleted: true`
   * (a document deleted outright would let a redelivered older change of an entity create it again). Conditional on
   * `guard.expected` as {@link apply}; readers leave out `_deleted` documents.
   *
   * @returns {Promise<boolean>} whether the delete landed
   */
  async remove(guard, { recordId, session } = {}) {
    if (guard === null || typeof guard !== 'object' || guard.key === undefined || guard.version === undefined) {
      throw new TypeError('remove needs the guard the consumer handed the handler');
    }
    const deleted = { [VERSION]: stored(guard.version), [DELETED]: true };
    if (recordId !== undefined) {
      deleted[LAST_RECORD] = recordId;
    }
    return this.#conditionally(guard, (filter, options) => this.#collection.replaceOne(filter, deleted, options),
      session);
  }

  /** Runs `write` on the key's document only where it is at `guard.expected` (creating it when that is null). */
  async #conditionally(guard, write, session) {
    const created = guard.expected === null || guard.expected === undefined;
    const filter = { _id: guard.key, [VERSION]: created ? { $exists: false } : guard.expected };
    try {
      const result = await write(filter, { upsert: created, ...(session ? { session } : {}) });
      return result.matchedCount + (result.upsertedCount ?? 0) === 1;
    } catch (error) {
      if (created && isDuplicateKey(error)) {
        return false; // the document exists already (another writer created it): not where the guard read it
      }
      throw error;
    }
  }
}

/** An event's version as Java stores `_version` (an int64); an entity's string as it is. */
function stored(version) {
  if (typeof version === 'number') {
    return Long.fromNumber(version);
  }
  if (typeof version === 'bigint') {
    return Long.fromBigInt(version);
  }
  return version;
}
