// How an instance balances a group's partitions (contracts/partition-leases.md, "Membership and balance", steps 2-6),
// as a pure function of what it sees, so that the conformance vectors pin it: its quota by rank among the live
// members, which partitions it hands back, which it stops contending for and which it contends for.
import { byCodeUnits } from './group-membership.js';

/** A partition: `{ type, number }`; its id `<type>-<number>` names its lease. */
export function partitionId(partition) {
  return `${partition.type}-${partition.number}`;
}

/** By type (UTF-16 code units), then number. */
export function byPartitionOrder(a, b) {
  return byCodeUnits(a.type, b.type) || a.number - b.number;
}

/** This instance's rank among the sorted members, its quota and the index it starts looking at. */
export function quotaOf(partitionCount, members, self) {
  const sorted = [...new Set([...members, self])].sort(byCodeUnits);
  const rank = sorted.indexOf(self);
  const n = sorted.length;
  const quota = Math.floor(partitionCount / n) + (rank < partitionCount % n ? 1 : 0);
  return { sorted, rank, quota, firstLook: Math.floor((rank * partitionCount) / n) };
}

/**
 * One balance step.
 *
 * @param {object} seen
 * @param {{ type: string, number: number }[]} seen.partitions every partition of the group's types
 * @param {string[]} seen.alive the live members (self among them)
 * @param {string} seen.self
 * @param {object[]} seen.held partitions whose lease this instance holds, valid now
 * @param {object[]} seen.releaseRequested partitions asked back already
 * @param {object[]} seen.contending partitions contended for and not held
 * @param {(partition: object) => string | null | undefined} seen.leaseOwner the owner of a partition's lease: a
 *   string, null when released, undefined when there is no lease document
 * @returns {{ release: object[], stopContending: object[], contend: object[] }}
 */
export function planBalance({ partitions, alive, self, held, releaseRequested, contending, leaseOwner }) {
  const ordered = [...partitions].sort(byPartitionOrder);
  const { rank, quota, firstLook } = quotaOf(ordered.length, alive, self);
  const ids = (list) => new Set(list.map(partitionId));
  const heldIds = ids(held);
  const requestedIds = ids(releaseRequested);
  const release = [];
  if (held.length > quota) {
    const more = held.length - quota - requestedIds.size;
    release.push(...[...held].sort(byPartitionOrder).reverse().filter((p) => !requestedIds.has(partitionId(p)))
      .slice(0, Math.max(0, more)));
  }
  const open = Math.max(0, quota - held.length);
  const isAlive = (owner) => alive.includes(owner);
  const kept = [];
  const stopContending = [];
  for (const partition of [...contending].sort(byPartitionOrder)) {
    const owner = leaseOwner(partition);
    const ownerAlive = typeof owner === 'string' && owner !== self && isAlive(owner);
    if (ownerAlive || kept.length >= open) {
      stopContending.push(partition);
    } else {
      kept.push(partition);
    }
  }
  const contend = [];
  if (kept.length < open) {
    const contended = new Set([...heldIds, ...ids(contending)]);
    for (let i = 0; i < ordered.length && kept.length < open; i++) {
      const partition = ordered[(firstLook + i) % ordered.length];
      if (contended.has(partitionId(partition))) {
        continue;
      }
      const owner = leaseOwner(partition);
      // A lease still in this instance's name that it no longer holds (it stepped down, or its release failed) is
      // contended for too: no rival will, since its owner is alive.
      if (owner === undefined || owner === null || owner === self || !isAlive(owner)) {
        contend.push(partition);
        kept.push(partition);
      }
    }
  }
  return { release, stopContending, contend };
}
