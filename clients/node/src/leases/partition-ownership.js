// Which of a group's partitions this instance owns, through one lease per partition (contracts/partition-leases.md):
// a member lease of its own, a Leadership per partition contended for, and a balance every 2 x checkInterval that
// decides, by planBalance, what to hand back and what to contend for. The consumer reads what is held here and checks
// isValid(partition, epoch) before every write and acknowledgement. As Ferry's Java LeasedPartitionOwnership.
import { GroupMembership, memberPrefix } from './group-membership.js';
import { Leadership } from './leadership.js';
import { byPartitionOrder, partitionId, planBalance } from './partition-balance.js';
import { monotonicMillis } from './timing.js';

/** The lease of a partition: `<group>.partition.<type>-<n>` (persisted: never renamed). */
export function partitionLeaseName(group, partition) {
  return `${group}.partition.${partitionId(partition)}`;
}

export class LeasedPartitionOwnership {
  #store;
  #group;
  #instanceId;
  #timing;
  #now;
  #onError;
  #partitions;
  #membership;
  #member;
  /** partition id -> { partition, leadership } */
  #contended = new Map();
  #releaseRequested = new Set();
  #timer = null;
  #stopped = false;
  #balancing = Promise.resolve();

  constructor({ store, group, instanceId, timing, partitions, now = monotonicMillis, onError = () => {} }) {
    this.#store = store;
    this.#group = group;
    this.#instanceId = instanceId;
    this.#timing = timing;
    this.#now = now;
    this.#onError = onError;
    this.#partitions = [...partitions].sort(byPartitionOrder);
    this.#membership = new GroupMembership({ store, group, ttlMs: timing.ttlMs, now });
    this.#member = this.#leadership(`${memberPrefix(group)}${instanceId}`);
  }

  start() {
    this.#member.start();
    const loop = () => {
      if (this.#stopped) {
        return;
      }
      this.#balancing = this.#balance().catch((error) => this.#onError(error)).finally(() => {
        if (!this.#stopped) {
          this.#timer = setTimeout(loop, this.#timing.checkIntervalMs * 2);
        }
      });
    };
    loop();
  }

  /** The epoch this instance owns the partition at, if its lease is valid now; else null. */
  epoch(partition) {
    return this.#contended.get(partitionId(partition))?.leadership.currentEpoch() ?? null;
  }

  isValid(partition, epoch) {
    return this.#contended.get(partitionId(partition))?.leadership.isValid(epoch) ?? false;
  }

  /** Partitions whose lease is valid now, in order. */
  held() {
    return this.#partitions.filter((partition) => this.epoch(partition) !== null);
  }

  /** Whether the balance wants the partition handed back. */
  releaseRequested(partition) {
    return this.#releaseRequested.has(partitionId(partition));
  }

  /**
   * Gives the partition's lease up (after its consumer stopped and acknowledged what is done); with `epoch`, also a
   * lease that already ran out (stepped down) if still in this instance's name at that epoch: no rival contends for
   * a live owner's lease.
   */
  async release(partition, epoch = null) {
    const id = partitionId(partition);
    const entry = this.#contended.get(id);
    const now = entry?.leadership.currentEpoch() ?? null;
    if (epoch !== null && now !== null && now !== epoch) {
      // Taken again at a newer epoch while the old one's reading stopped: that one stays (as in Java; it saves a
      // hand-over). The old epoch's lease is no longer in the store to release.
      return;
    }
    this.#contended.delete(id);
    this.#releaseRequested.delete(id);
    await entry?.leadership.close();
    if (epoch !== null) {
      await this.#store.release(partitionLeaseName(this.#group, partition), this.#instanceId, epoch);
    }
  }

  /**
   * Stops renewing the partition's lease without waiting for its reader (a record at hand that does not finish), and
   * releases it at `epoch` once the lease has run out (TTL): no rival contends for a live instance's lease, so waiting
   * for it to expire alone would leave the partition unowned. A write of the stuck record that lands later is refused
   * by the version guard's conditional write.
   */
  abandon(partition, epoch) {
    const id = partitionId(partition);
    const entry = this.#contended.get(id);
    this.#contended.delete(id);
    this.#releaseRequested.delete(id);
    entry?.leadership.kill();
    const timer = setTimeout(() => {
      this.#store.release(partitionLeaseName(this.#group, partition), this.#instanceId, epoch)
        .catch((error) => this.#onError(error));
    }, this.#timing.ttlMs);
    timer.unref?.();
  }

  /** Stops balancing and releases every lease, the member lease last, so that others take over at once. */
  async close() {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#balancing;
    const entries = [...this.#contended.values()];
    this.#contended.clear();
    await Promise.all(entries.map((entry) => entry.leadership.close()));
    await this.#member.close();
  }

  /** Stops without releasing anything, as a crash would. */
  kill() {
    this.#stopped = true;
    clearTimeout(this.#timer);
    for (const entry of this.#contended.values()) {
      entry.leadership.kill();
    }
    this.#member.kill();
  }

  #leadership(name) {
    return new Leadership({ store: this.#store, name, instanceId: this.#instanceId, timing: this.#timing, now: this.#now,
      onError: this.#onError });
  }

  async #balance() {
    const alive = await this.#membership.alive(this.#instanceId);
    // One read of every partition lease of the group: a snapshot, where Java reads them one by one.
    const owners = new Map((await this.#store.readAll(`${this.#group}.partition.`)).map((lease) => [lease.name,
      lease.owner]));
    if (this.#stopped) {
      return;
    }
    const held = this.held();
    const heldIds = new Set(held.map(partitionId));
    const contending = [...this.#contended.values()].map((entry) => entry.partition)
      .filter((partition) => !heldIds.has(partitionId(partition)));
    const plan = planBalance({
      partitions: this.#partitions, alive, self: this.#instanceId, held,
      releaseRequested: this.#partitions.filter((partition) => this.#releaseRequested.has(partitionId(partition))),
      contending,
      leaseOwner: (partition) => {
        const name = partitionLeaseName(this.#group, partition);
        return owners.has(name) ? owners.get(name) : undefined;
      },
    });
    plan.release.forEach((partition) => this.#releaseRequested.add(partitionId(partition)));
    for (const partition of plan.stopContending) {
      const entry = this.#contended.get(partitionId(partition));
      if (entry !== undefined && entry.leadership.currentEpoch() === null) {
        this.#contended.delete(partitionId(partition));
        await entry.leadership.close(); // releases only if it won meanwhile: the consumer then sees it lost
      }
    }
    for (const partition of plan.contend) {
      const leadership = this.#leadership(partitionLeaseName(this.#group, partition));
      this.#contended.set(partitionId(partition), { partition, leadership });
      leadership.start();
    }
  }
}
