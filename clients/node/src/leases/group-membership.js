// Who is in a group: every instance holds a lease `<group>.member.<instance>`; a member counts as alive while its lease
// is held and its (owner, epoch, renewals) moved within the TTL on this instance's clock (contracts/partition-leases.md,
// "Membership and balance", step 1), as Ferry's Java GroupMembership.
import { LeaseObserver } from './lease-observer.js';

/** A member lease unchanged this many TTLs belongs to an instance long gone: it is deleted. */
export const FORGET_AFTER_TTLS = 10;

export function memberPrefix(group) {
  return `${group}.member.`;
}

/** Sorted by UTF-16 code units, as Java's String.compareTo (JavaScript's default sort). */
export function byCodeUnits(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class GroupMembership {
  #store;
  #prefix;
  #ttlMs;
  #now;
  #observers = new Map();
  #forgetting = new Map();

  constructor({ store, group, ttlMs, now }) {
    this.#store = store;
    this.#prefix = memberPrefix(group);
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  /** The instances alive now, sorted; `self` always among them. */
  async alive(self) {
    const now = this.#now();
    const members = await this.#store.readAll(this.#prefix);
    const alive = new Set([self]);
    for (const member of members) {
      let observer = this.#observers.get(member.name);
      if (observer === undefined) {
        observer = new LeaseObserver(this.#ttlMs);
        this.#observers.set(member.name, observer);
      }
      observer.observe(member, now);
      if (member.owner !== null && !observer.mayTake(now)) {
        alive.add(member.owner);
      }
      let longGone = this.#forgetting.get(member.name);
      if (longGone === undefined) {
        longGone = new LeaseObserver(this.#ttlMs * FORGET_AFTER_TTLS);
        this.#forgetting.set(member.name, longGone);
      }
      longGone.observe(member, now);
      if (longGone.mayTake(now) && member.owner !== self) {
        await this.#store.remove(member);
        this.#observers.delete(member.name);
        this.#forgetting.delete(member.name);
      }
    }
    return [...alive].sort(byCodeUnits);
  }
}
