// The conformance vectors of the partition-lease protocol, which Ferry's Java side passes too
// (PartitionLeaseConformanceTest): contracts/partition-leases.json, see partition-leases.md. Each runs on a fake
// monotonic clock and an in-memory lease store with MongoLeaseStore's compare-and-set semantics.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { GroupMembership, memberPrefix } from '../src/leases/group-membership.js';
import { LeaseObserver } from '../src/leases/lease-observer.js';
import { Leadership } from '../src/leases/leadership.js';
import { partitionId, planBalance, quotaOf } from '../src/leases/partition-balance.js';
import { partitionLeaseName } from '../src/leases/partition-ownership.js';
import { checkTiming, PARTITION_LEASES } from '../src/leases/timing.js';
import { consumerBase, DeliveryOrder, planConsumerStart, subjectOf } from '../src/nats/partition-consumer.js';
import { MemoryLeaseStore } from './support/memory-lease-store.js';

const vectors = JSON.parse(readFileSync(new URL('../../../contracts/partition-leases.json', import.meta.url), 'utf8'));
const timing = checkTiming(vectors.timing);
const asPartitions = (pairs) => pairs.map(([type, number]) => ({ type, number }));

test('the client\'s partition lease timing is the protocol\'s', () => {
  assert.deepEqual({ ...PARTITION_LEASES }, vectors.timing);
});

for (const vector of vectors.names) {
  test(`names: ${vector.group} / ${vector.type}-${vector.partition}`, () => {
    const partition = { type: vector.type, number: vector.partition };
    assert.equal(`${memberPrefix(vector.group)}${vector.instance}`, vector.memberLease);
    assert.equal(partitionLeaseName(vector.group, partition), vector.partitionLease);
    assert.equal(subjectOf(vector.stream, partition), vector.subject);
    assert.equal(`${consumerBase(vector.group, partition)}${vector.epoch}`, vector.consumer);
  });
}

for (const vector of vectors.quotas) {
  test(`quotas: ${vector.partitions} partitions, ${vector.members.length} members, self ${vector.self}`, () => {
    assert.deepEqual(quotaOf(vector.partitions, vector.members, vector.self),
      { sorted: vector.sorted, rank: vector.rank, quota: vector.quota, firstLook: vector.firstLook });
  });
}

for (const vector of vectors.observer) {
  test(`observer: ${vector.name}`, () => {
    const observer = new LeaseObserver(vector.ttlMs);
    for (const step of vector.steps) {
      if ('observe' in step) {
        observer.observe(step.observe === null ? null : { name: 'lease', ...step.observe }, step.at);
      }
      if ('mayTake' in step) {
        assert.equal(observer.mayTake(step.at), step.mayTake, `mayTake at ${step.at}`);
      }
    }
  });
}

for (const vector of vectors.leadership) {
  test(`leadership: ${vector.name}`, async () => {
    const store = new MemoryLeaseStore();
    store.set(vector.lease, vector.stored);
    let now = 0;
    const instances = new Map();
    const instance = (id) => {
      if (!instances.has(id)) {
        instances.set(id, new Leadership({ store, name: vector.lease, instanceId: id, timing, now: () => now }));
      }
      return instances.get(id);
    };
    for (const step of vector.steps) {
      now = step.at;
      const at = `step at ${step.at}: ${JSON.stringify(step)}`;
      if ('tick' in step) {
        await instance(step.tick).tick();
        assert.equal(instance(step.tick).currentEpoch(), step.leads, at);
      } else if ('close' in step) {
        await instance(step.close).close();
      } else if ('store' in step) {
        store.set(vector.lease, step.store);
      } else if ('valid' in step) {
        assert.equal(instance(step.valid).isValid(step.epoch), step.is, at);
      }
      if ('stored' in step) {
        assert.deepEqual(store.get(vector.lease), step.stored, at);
      }
    }
  });
}

for (const vector of vectors.membership) {
  test(`membership: ${vector.name}`, async () => {
    const store = new MemoryLeaseStore();
    let now = 0;
    const membership = new GroupMembership({ store, group: vector.group, ttlMs: vector.ttlMs, now: () => now });
    for (const step of vector.steps) {
      now = step.at;
      store.leases.clear();
      store.removed = [];
      step.members.forEach((member) => store.set(member.name, member));
      assert.deepEqual(await membership.alive(vector.self), step.alive, `alive at ${step.at}`);
      assert.deepEqual(store.removed, step.removed, `removed at ${step.at}`);
    }
  });
}

for (const vector of vectors.balance) {
  test(`balance: ${vector.name}`, () => {
    const plan = planBalance({
      partitions: asPartitions(vector.partitions), alive: vector.alive, self: vector.self,
      held: asPartitions(vector.held), releaseRequested: asPartitions(vector.releaseRequested),
      contending: asPartitions(vector.contending),
      leaseOwner: (partition) => vector.leases[partitionId(partition)],
    });
    assert.deepEqual(plan, { release: asPartitions(vector.release), stopContending: asPartitions(vector.stopContending),
      contend: asPartitions(vector.contend) });
  });
}

for (const vector of vectors.consumerStart) {
  test(`consumer start: ${vector.name}`, () => {
    const plan = planConsumerStart({ stream: vector.stream, group: vector.group,
      partition: { type: vector.type, number: vector.partition }, epoch: vector.epoch, existing: vector.existing });
    assert.deepEqual(plan, { floor: vector.floor, create: vector.create, delete: vector.delete });
  });
}

for (const vector of vectors.deliveries) {
  test(`deliveries: ${vector.name}`, () => {
    const order = new DeliveryOrder(vector.ackFloorDelivery, vector.floor);
    for (const step of vector.steps) {
      assert.equal(order.next(step.streamSequence, step.deliverySequence), step.then, JSON.stringify(step));
    }
  });
}
