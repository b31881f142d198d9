// FerryNatsConsumer against JetStream in memory (test/support/fake-jetstream.js) and leases in memory, with short lease
// timings: records applied once and in order and acknowledged only after their write, partitions shared and handed
// over, deliveries lost in transit, a closed connection and a hung handler.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';

import { FerryNatsConsumer } from '../src/nats-consumer.js';
import { partitionOf } from '../src/keys.js';
import { FakeJetStream } from './support/fake-jetstream.js';
import { MemoryLeaseStore } from './support/memory-lease-store.js';

const timing = { ttlMs: 400, renewIntervalMs: 80, checkIntervalMs: 40, marginMs: 100 };
const PARTITIONS = 4;
const fastSleep = (ms) => new Promise((resolve) => { setTimeout(resolve, Math.min(ms, 20)); });

const unhandled = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));
const running = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((consumer) => consumer.stop().catch(() => {})));
  assert.deepEqual(unhandled.splice(0), [], 'no unhandled promise rejection');
});

async function waitFor(condition, what, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => { setTimeout(resolve, 10); });
  }
}

/** A read model in memory: per key its version and the versions applied, in the order applied. */
class ReadModel {
  documents = new Map();
  decided = new Set();

  async lastVersion(key) {
    return this.documents.get(key)?.version ?? null;
  }

  write(record, guard) {
    const document = this.documents.get(record.key) ?? { version: null, applied: [] };
    if (document.version !== guard.expected) {
      return false;
    }
    this.documents.set(record.key, { version: record.version, applied: [...document.applied, record.version] });
    return true;
  }
}

function publish(js, count, { keys = 8, versions = new Map() } = {}) {
  for (let i = 0; i < count; i++) {
    const key = `k${i % keys}`;
    const version = (versions.get(key) ?? 0) + 1;
    versions.set(key, version);
    js.publish(`ferry.t.${partitionOf(key, PARTITIONS)}`, key, version);
  }
  return versions;
}

function consumer(js, leaseStore, readModel, instanceId, { handle, errors = [], ownership = [] } = {}) {
  const started = new FerryNatsConsumer({
    nats: js.connection(), leaseStore, jetstreamManager: js.manager(), jetstream: js.client(), group: 'g', types: ['t'],
    instanceId, timing, shutdownSignals: [], sleep: fastSleep, versions: readModel,
    handle: handle ?? ((record, guard) => readModel.write(record, guard)),
    onDecision: (decision) => readModel.decided.add(Number(decision.offset)),
    onError: (error) => errors.push(error.message),
    onOwnership: (change) => ownership.push({ instanceId, ...change }),
  });
  running.push(started);
  return started;
}

function appliedOnceInOrder(readModel, versions) {
  for (const [key, last] of versions) {
    assert.deepEqual(readModel.documents.get(key)?.applied, Array.from({ length: last }, (_, i) => i + 1), key);
  }
}

test('two instances share the partitions: every record applied once and in order, acknowledged only after its write',
  async () => {
    const js = new FakeJetStream(PARTITIONS);
    const readModel = new ReadModel();
    js.onAck = (seq) => assert.ok(readModel.decided.has(seq), `acknowledged ${seq} before it was decided`);
    const leases = new MemoryLeaseStore();
    const versions = publish(js, 40);
    const a = consumer(js, leases, readModel, 'a');
    const b = consumer(js, leases, readModel, 'b');
    await a.start();
    await b.start();
    await waitFor(() => a.owned.length === 2 && b.owned.length === 2, 'a 2/2 split');
    publish(js, 40, { versions });
    await waitFor(() => [...versions].every(([key, v]) => readModel.documents.get(key)?.version === v), 'the fold');
    appliedOnceInOrder(readModel, versions);
    assert.deepEqual([...a.owned, ...b.owned].sort(), ['t-0', 't-1', 't-2', 't-3']);
  });

test('deliveries lost in transit: nothing after them is taken; the partition is read again from what was acknowledged',
  async () => {
    const js = new FakeJetStream(PARTITIONS);
    const readModel = new ReadModel();
    const errors = [];
    const ownership = [];
    js.loseDeliveries(2);
    const versions = publish(js, 24);
    await consumer(js, new MemoryLeaseStore(), readModel, 'a', { errors, ownership }).start();
    await waitFor(() => [...versions].every(([key, v]) => readModel.documents.get(key)?.version === v), 'the fold');
    appliedOnceInOrder(readModel, versions);
    assert.ok(errors.some((message) => message.includes('lost in transit')), errors.join('\n'));
    assert.ok(ownership.some((change) => change.event === 'gained' && change.epoch === 2), 'taken again at epoch 2');
  });

test('a connection closed for good: the partitions are given up and every lease released', async () => {
  const js = new FakeJetStream(PARTITIONS);
  const readModel = new ReadModel();
  const leases = new MemoryLeaseStore();
  const errors = [];
  publish(js, 16);
  const a = consumer(js, leases, readModel, 'a', { errors });
  await a.start();
  await waitFor(() => a.owned.length === PARTITIONS, 'every partition owned');
  js.close();
  await waitFor(() => [...leases.leases.values()].every((lease) => lease.owner === null), 'every lease released');
  assert.ok(errors.some((message) => message.includes('closed for good')), errors.join('\n'));
});

test('a handler that hangs: its partition is handed over after a lease TTL, the others move on, stop() returns',
  async () => {
    const js = new FakeJetStream(2);
    const readModel = new ReadModel();
    const leases = new MemoryLeaseStore();
    const errors = [];
    const hung = 'k1';
    const hungPartition = `t-${partitionOf(hung, 2)}`;
    js.description = 'ferry partitions=2';
    for (const key of ['k0', 'k1', 'k2', 'k3']) {
      js.publish(`ferry.t.${partitionOf(key, 2)}`, key, 1);
    }
    const a = consumer(js, leases, readModel, 'a', { errors,
      handle: (record, guard) => (record.key === hung ? new Promise(() => {}) : readModel.write(record, guard)) });
    await a.start();
    await waitFor(() => a.owned.length === 2, 'a owns both');
    const b = consumer(js, leases, readModel, 'b');
    await b.start();
    // the balance asks a for its last partition; if that is the hung one, it moves after a TTL all the same
    await waitFor(() => a.owned.length === 1 && b.owned.length === 1, 'a 1/1 split');
    await waitFor(() => readModel.documents.get(hung)?.version === 1, 'the hung record applied by its next owner');
    const stopped = Date.now();
    await a.stop();
    assert.ok(Date.now() - stopped < timing.ttlMs * 3, 'stop() returns');
    if (b.owned.includes(hungPartition)) {
      assert.ok(errors.some((message) => message.includes('did not finish')), errors.join('\n'));
    }
  });
