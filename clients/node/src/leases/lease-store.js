// Leases as documents { _id: name, owner, epoch, renewals, renewedAt } in Ferry's `ferry_leases`, changed only by
// compare-and-set writes with w: majority — exactly the writes of Ferry's Java MongoLeaseStore, so that Java and Node
// instances can share one group (contracts/partition-leases.md, "The lease document"). `renewedAt` is for people to
// read; no decision uses it.
import { Long } from 'bson';

const DUPLICATE_KEY = 11000;

/** A lease as stored: `{ name, owner (null when released), epoch, renewals }`, numbers as JavaScript numbers. */
function toLease(document) {
  return { name: document._id, owner: document.owner ?? null, epoch: Number(document.epoch),
    renewals: Number(document.renewals) };
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class MongoLeaseStore {
  #leases;

  /**
   * @param {import('mongodb').Db} database Ferry's database (where its relay and projectors keep their leases)
   * @param {string} [collection] `ferry_leases` unless Ferry was configured otherwise
   */
  constructor(database, collection = 'ferry_leases') {
    if (typeof database?.collection !== 'function') {
      throw new TypeError('leases must be a mongodb Db: Ferry\'s database, where `ferry_leases` is');
    }
    this.#leases = database.collection(collection, { writeConcern: { w: 'majority' },
      readConcern: { level: 'majority' } });
  }

  async read(name) {
    const document = await this.#leases.findOne({ _id: name });
    return document === null ? null : toLease(document);
  }

  /** Every lease whose name starts with `prefix` (the members of a group, its partitions). */
  async readAll(prefix) {
    const documents = await this.#leases.find({ _id: { $regex: `^${escapeRegExp(prefix)}` } }).toArray();
    return documents.map(toLease);
  }

  /**
   * Takes the lease if it is still exactly as `seen` (absent when null): the epoch grows by one, the renewal count
   * starts over. Resolves to the new lease, or null if another instance changed it first.
   */
  async tryAcquire(name, owner, seen) {
    try {
      if (seen === null) {
        await this.#leases.insertOne({ _id: name, owner, epoch: Long.fromNumber(1), renewals: Long.fromNumber(0),
          renewedAt: new Date() });
        return { name, owner, epoch: 1, renewals: 0 };
      }
      const taken = await this.#leases.findOneAndUpdate(
        { _id: name, owner: seen.owner, epoch: Long.fromNumber(seen.epoch), renewals: Long.fromNumber(seen.renewals) },
        { $set: { owner, renewals: Long.fromNumber(0), renewedAt: new Date() }, $inc: { epoch: Long.fromNumber(1) } },
        { returnDocument: 'after' });
      return taken === null ? null : toLease(taken);
    } catch (error) {
      if (error?.code === DUPLICATE_KEY) {
        return null; // another instance created it first
      }
      throw error;
    }
  }

  /** Renews a held lease; false if it is no longer `owner`'s at `epoch`. */
  async renew(name, owner, epoch) {
    const result = await this.#leases.updateOne({ _id: name, owner, epoch: Long.fromNumber(epoch) },
      { $inc: { renewals: Long.fromNumber(1) }, $set: { renewedAt: new Date() } });
    return result.matchedCount === 1;
  }

  /** Gives a held lease up, so that a standby takes it at once. */
  async release(name, owner, epoch) {
    await this.#leases.updateOne({ _id: name, owner, epoch: Long.fromNumber(epoch) },
      { $set: { owner: null }, $inc: { renewals: Long.fromNumber(1) } });
  }

  /** Deletes the lease if it is still exactly as `seen` (a member long gone); a holder that renewed since keeps it. */
  async remove(seen) {
    await this.#leases.deleteOne({ _id: seen.name, owner: seen.owner, epoch: Long.fromNumber(seen.epoch),
      renewals: Long.fromNumber(seen.renewals) });
  }
}
