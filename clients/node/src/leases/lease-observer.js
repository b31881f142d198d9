// A standby's judgement of whether a lease expired, from what it saw and its own monotonic clock only: expired once its
// (owner, epoch, renewals) has not changed for the TTL (contracts/partition-leases.md, "Timing"). Clocks of other hosts
// never enter into it.

/** Two readings of a lease are the same when name, owner, epoch and renewals are (null: absent). */
export function sameLease(a, b) {
  if (a === null || b === null) {
    return a === b;
  }
  return a.name === b.name && a.owner === b.owner && a.epoch === b.epoch && a.renewals === b.renewals;
}

export class LeaseObserver {
  #ttlMs;
  #seen = null;
  #unchangedSince = 0;
  #observed = false;

  constructor(ttlMs) {
    this.#ttlMs = ttlMs;
  }

  /** Records a reading (null: no lease document) taken at `now` (ms of a monotonic clock). */
  observe(lease, now) {
    if (!this.#observed || !sameLease(lease, this.#seen)) {
      this.#seen = lease;
      this.#unchangedSince = now;
      this.#observed = true;
    }
  }

  /** Absent, released, or unchanged for the TTL; false before the first reading. */
  mayTake(now) {
    if (!this.#observed) {
      return false;
    }
    return this.#seen === null || this.#seen.owner === null || now - this.#unchangedSince >= this.#ttlMs;
  }

  /** The last reading (null: absent). */
  get seen() {
    return this.#seen;
  }
}
