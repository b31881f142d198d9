// A lease store in memory with the compare-and-set semantics of MongoLeaseStore (and Java's), for the conformance
// vectors: take an absent lease, take one still exactly as seen, renew and release at an epoch, remove as seen.
export class MemoryLeaseStore {
  leases = new Map();
  removed = [];

  set(name, lease) {
    if (lease === null) {
      this.leases.delete(name);
    } else {
      this.leases.set(name, { name, owner: lease.owner, epoch: lease.epoch, renewals: lease.renewals });
    }
  }

  get(name) {
    const lease = this.leases.get(name);
    return lease === undefined ? null : { owner: lease.owner, epoch: lease.epoch, renewals: lease.renewals };
  }

  async read(name) {
    const lease = this.leases.get(name);
    return lease === undefined ? null : { ...lease };
  }

  async readAll(prefix) {
    return [...this.leases.values()].filter((lease) => lease.name.startsWith(prefix)).map((lease) => ({ ...lease }));
  }

  async tryAcquire(name, owner, seen) {
    const now = this.leases.get(name);
    if (seen === null) {
      if (now !== undefined) {
        return null;
      }
      this.set(name, { owner, epoch: 1, renewals: 0 });
      return this.read(name);
    }
    if (now === undefined || now.owner !== seen.owner || now.epoch !== seen.epoch || now.renewals !== seen.renewals) {
      return null;
    }
    this.set(name, { owner, epoch: now.epoch + 1, renewals: 0 });
    return this.read(name);
  }

  async renew(name, owner, epoch) {
    const now = this.leases.get(name);
    if (now === undefined || now.owner !== owner || now.epoch !== epoch) {
      return false;
    }
    now.renewals += 1;
    return true;
  }

  async release(name, owner, epoch) {
    const now = this.leases.get(name);
    if (now !== undefined && now.owner === owner && now.epoch === epoch) {
      now.owner = null;
      now.renewals += 1;
    }
  }

  async remove(seen) {
    const now = this.leases.get(seen.name);
    if (now !== undefined && now.owner === seen.owner && now.epoch === seen.epoch && now.renewals === seen.renewals) {
      this.leases.delete(seen.name);
    }
    this.removed.push(seen.name);
  }
}
