// Consuming without a broker: records decoded as docs/wire-format.md describes them, the version guard's decisions as
// Ferry's Java projector makes them (duplicate, next, gap, out of order; contiguous and increasing), a record's offset
// resolved only after its handler's write (a fake kafkajs consumer records the order of things), the MongoDB read
// model's conditional update. Against a broker, the relay and a kill: ferry-it's NodeConsumersKeepOrderOnKafkaIT.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Long } from 'bson';

import {
  compareVersions, decide, Decision, decodeRecord, FerryKafkaConsumer, MongoReadModel, RecordNotApplied, VersionGuard,
} from '../src/index.js';

const EVENT = {
  eventId: 'e-3', aggregateType: 'patient', aggregateId: 'p-1', version: 3, eventType: 'PatientUpdated',
  timestamp: '2026-11-23T16:00:00.123Z', payload: { ward: 3 }, metadata: { correlationId: 'c', causationId: null },
};
const CHANGE = {
  entity: 'patient', id: '6650f1a2b3c4d5e6f7a8b9c0', operation: 'update', version: '1764670000.0000000005.0000000001',
  document: { _id: { $oid: '6650f1a2b3c4d5e6f7a8b9c0' }, name: 'Ada' }, source: { db: 'clinic', collection: 'patients' },
  clusterTime: { t: 1764670000, i: 5 },
};

function delivered(value, { key = 'p-1', headers = {}, offset = '7' } = {}) {
  return {
    topic: 'ferry.patient', partition: 2, offset, key: key === null ? null : Buffer.from(key),
    value: value === null ? null : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)), headers,
  };
}

/** An event record as the decoder makes it, for the guard's tests. */
function event(version, key = 'p-1', offset = String(version)) {
  return decodeRecord(delivered({ ...EVENT, aggregateId: key, version }, { key, offset }));
}

describe('decoding a record', () => {
  it('reads an event: key, version, contiguous by default, the value and the headers as text', () => {
    const record = decodeRecord(delivered(EVENT, {
      headers: { ce_type: Buffer.from('PatientUpdated'), ferry_sequence: [Buffer.from('1'), Buffer.from('41')] },
    }));

    assert.equal(record.kind, 'event');
    assert.equal(record.key, 'p-1');
    assert.equal(record.version, 3);
    assert.equal(record.versionRule, 'contiguous');
    assert.deepEqual(record.value, EVENT);
    assert.deepEqual(record.headers, { ce_type: 'PatientUpdated', ferry_sequence: '41' }, 'the last of a repeated header');
    assert.deepEqual([record.topic, record.partition, record.offset], ['ferry.patient', 2, '7']);
  });

  it('takes the version rule from the value, else from ce_ferryversionrule', () => {
    assert.equal(decodeRecord(delivered({ ...EVENT, versionRule: 'increasing' })).versionRule, 'increasing');
    assert.equal(decodeRecord(delivered(EVENT, { headers: { ce_ferryversionrule: Buffer.from('increasing') } }))
      .versionRule, 'increasing');
  });

  it('reads an entity change: its version a string, increasing', () => {
    const record = decodeRecord(delivered(CHANGE, { key: CHANGE.id }));

    assert.equal(record.kind, 'entity');
    assert.equal(record.key, CHANGE.id);
    assert.equal(record.version, CHANGE.version);
    assert.equal(record.versionRule, 'increasing');
    assert.deepEqual(record.value, CHANGE);
  });

  it('takes the key from ce_subject when the record has none (as on NATS)', () => {
    const record = decodeRecord(delivered(EVENT, { key: null, headers: { ce_subject: 'p-1' } }));

    assert.equal(record.key, 'p-1');
  });

  it('reads a tombstone: no value, ferry_tombstone true, the delete\'s version', () => {
    const record = decodeRecord(delivered(null, { key: CHANGE.id, headers: {
      ferry_tombstone: Buffer.from('true'), ce_ferryversion: Buffer.from(CHANGE.version) } }));

    assert.equal(record.kind, 'tombstone');
    assert.equal(record.key, CHANGE.id);
    assert.equal(record.version, CHANGE.version);
  });

  it('calls anything else undecodable, saying why', () => {
    const reasons = [
      delivered(null), delivered('{not json'), delivered('[1]'), delivered({ hello: 'world' }),
      delivered({ ...EVENT, version: 0 }), delivered({ ...EVENT, version: '3' }), delivered({ ...EVENT, versionRule: 'sorted' }),
      delivered({ ...CHANGE, version: 5 }),
    ].map((one) => decodeRecord(one)).map((record) => `${record.kind}: ${record.reason}`);

    assert.deepEqual(reasons, [
      'undecodable: a record without a value that is not a tombstone',
      `undecodable: the value is not JSON: ${jsonError('{not json')}`,
      'undecodable: the value is not a JSON object',
      'undecodable: the value is neither a Ferry event nor an entity change',
      'undecodable: an event\'s version must be an integer of at least 1, was 0',
      'undecodable: an event\'s version must be an integer of at least 1, was 3',
      'undecodable: unknown version rule sorted',
      'undecodable: an entity change\'s version must be a string, was 5',
    ]);
  });
});

function jsonError(text) {
  try {
    JSON.parse(text);
  } catch (error) {
    return error.message;
  }
  return '';
}

describe('the guard\'s decision', () => {
  it('contiguous: the next version is stored + 1 (1 over nothing), at or below stored a duplicate, beyond a gap', () => {
    assert.equal(decide('contiguous', null, 1), 'next');
    assert.equal(decide('contiguous', 4, 5), 'next');
    assert.equal(decide('contiguous', 5, 5), 'duplicate');
    assert.equal(decide('contiguous', 5, 2), 'duplicate', 'out of order: an older version after a newer one');
    assert.equal(decide('contiguous', 4, 6), 'gap');
    assert.equal(decide('contiguous', null, 2), 'gap', 'nothing stored and version 2: version 1 is missing');
  });

  it('increasing: anything above stored is next, never a gap; equal and lower are duplicates', () => {
    assert.equal(decide('increasing', 4, 9), 'next');
    assert.equal(decide('increasing', null, 9), 'next');
    assert.equal(decide('increasing', 9, 9), 'duplicate');
    assert.equal(decide('increasing', 9, 4), 'duplicate', 'out of order');
  });

  it('compares an entity\'s string versions byte-wise over UTF-8, not by UTF-16 code units', () => {
    const v1 = '1764670000.0000000005.0000000001';
    const v2 = '1764670000.0000000005.0000000002';
    assert.equal(decide('increasing', v1, v2), 'next');
    assert.equal(decide('increasing', v2, v1), 'duplicate');
    // U+FF61 is above U+1F600's first UTF-16 unit (0xD83D), but below its first UTF-8 byte (0xF0 > 0xEF)
    assert.ok('\uFF61' > '\u{1F600}');
    assert.ok(compareVersions('\uFF61', '\u{1F600}') < 0);
  });

  it('reads stored versions as the driver gives them: number, bigint, Long', () => {
    assert.equal(decide('contiguous', Long.fromNumber(4), 5), 'next');
    assert.equal(decide('contiguous', 4n, 5), 'next');
    assert.equal(decide('contiguous', 2 ** 53 - 2, 2 ** 53 - 1), 'next');
    assert.throws(() => decide('increasing', 4, '5'), /versions of one key must be of one kind/);
    assert.throws(() => decide('contiguous', 4.5, 5), TypeError);
  });
});

/** A store of versions that the fake handler writes to conditionally, as MongoReadModel does. */
function fakeStore(initial = {}) {
  const versions = new Map(Object.entries(initial));
  const log = [];
  return {
    versions,
    log,
    lastVersion: async (key) => {
      log.push(`read ${key}`);
      return versions.get(key) ?? null;
    },
    write: async (guard) => {
      if ((versions.get(guard.key) ?? null) !== guard.expected) {
        log.push(`refused ${guard.key}@${guard.version}`);
        return false;
      }
      versions.set(guard.key, guard.version);
      log.push(`wrote ${guard.key}@${guard.version}`);
      return true;
    },
  };
}

function guardOver(store, options = {}) {
  const decisions = [];
  const gaps = [];
  const guard = new VersionGuard({
    versions: store, handle: (record, g) => store.write(g), onDecision: (d) => decisions.push(`${d.decision} ${d.key}@${d.version}`),
    onGap: (gap) => gaps.push(gap), sleep: async () => {}, ...options,
  });
  return { guard, decisions, gaps };
}

describe('the version guard', () => {
  it('applies the next version, skips duplicates and redeliveries without calling the handler, reports a gap', async () => {
    const store = fakeStore({ 'p-1': 2 });
    const handled = [];
    const { guard, decisions, gaps } = guardOver(store, {
      handle: (record, g) => {
        handled.push(record.version);
        return store.write(g);
      },
    });

    for (const version of [1, 2, 3, 3, 4, 6, 5, 2]) {
      await guard.process(event(version));
    }

    assert.deepEqual(handled, [3, 4, 5]);
    assert.deepEqual(decisions, ['duplicate p-1@1', 'duplicate p-1@2', 'applied p-1@3', 'duplicate p-1@3',
      'applied p-1@4', 'gap p-1@6', 'applied p-1@5', 'duplicate p-1@2']);
    assert.deepEqual(gaps.map((gap) => [gap.key, gap.stored, gap.version, gap.offset]), [['p-1', 4, 6, '6']]);
    assert.equal(store.versions.get('p-1'), 5);
  });

  it('hands the handler the version it read as guard.expected, null for nothing stored', async () => {
    const store = fakeStore();
    const guards = [];
    const { guard } = guardOver(store, { handle: (record, g) => {
      guards.push({ ...g });
      return store.write(g);
    } });

    await guard.process(event(1));
    await guard.process(event(2));

    assert.deepEqual(guards, [
      { key: 'p-1', version: 1, versionRule: 'contiguous', expected: null },
      { key: 'p-1', version: 2, versionRule: 'contiguous', expected: 1 },
    ]);
  });

  it('decides again when the conditional write found the version moved (another writer applied it meanwhile)', async () => {
    const store = fakeStore({ 'p-1': 2 });
    const { guard, decisions } = guardOver(store, { handle: async (record, g) => {
      store.versions.set('p-1', 3); // a previous owner of the partition writes version 3 between the read and the write
      return store.write(g);
    } });

    const decision = await guard.process(event(3));

    assert.equal(decision, Decision.DUPLICATE);
    assert.deepEqual(store.log, ['read p-1', 'refused p-1@3', 'read p-1']);
    assert.deepEqual(decisions, ['duplicate p-1@3']);
  });

  it('retries a failed write by deciding again, so a write that landed before its error is not applied twice', async () => {
    const store = fakeStore({ 'p-1': 2 });
    let calls = 0;
    const { guard, decisions } = guardOver(store, { handle: async (record, g) => {
      calls++;
      await store.write(g);
      throw new Error('timed out after the server applied it');
    } });

    await guard.process(event(3));

    assert.equal(calls, 1);
    assert.deepEqual(decisions, ['duplicate p-1@3']);
    assert.equal(store.versions.get('p-1'), 3);
  });

  it('gives up after its attempts: the error reaches the consumer and the record is not done', async () => {
    const store = fakeStore();
    let calls = 0;
    const { guard, decisions } = guardOver(store, { retry: { attempts: 3 }, handle: async () => {
      calls++;
      throw new Error('the read model is down');
    } });

    await assert.rejects(guard.process(event(1)), /the read model is down/);
    assert.equal(calls, 3);
    assert.deepEqual(decisions, []);
  });

  it('by default neither applies nor passes over a gap or an undecodable record: it stops at it, once', async () => {
    const store = fakeStore();
    store.versions.set('p-1', 4);
    let handled = 0;
    const guard = new VersionGuard({ versions: store, handle: async () => { handled++; return true; },
      sleep: async () => {} });

    await assert.rejects(guard.process(event(6)), (error) => error instanceof RecordNotApplied && /a gap/.test(error.message)
      && error.key === 'p-1' && error.version === 6);
    await assert.rejects(guard.process(decodeRecord(delivered('{not json'))), RecordNotApplied);
    assert.equal(handled, 0);
  });

  it('calls a gap callback that refuses the gap once, not once per retry', async () => {
    const store = fakeStore();
    store.versions.set('p-1', 4);
    let called = 0;
    const { guard } = guardOver(store, { onGap: () => {
      called++;
      throw new Error('stop here');
    } });

    await assert.rejects(guard.process(event(6)), /stop here/);
    assert.equal(called, 1);
  });

  it('refuses a handler that does not say whether its write landed (a forgotten return would hold the version)', async () => {
    const store = fakeStore();
    const { guard, decisions } = guardOver(store, { handle: async (record, g) => { store.write(g); } });

    await assert.rejects(guard.process(event(1)), (error) => error instanceof RecordNotApplied
      && /return the read model's apply/.test(error.message));
    assert.deepEqual(decisions, []);
  });

  it('passes tombstones and reports undecodable records without touching the store', async () => {
    const store = fakeStore();
    const undecodable = [];
    const { guard, decisions } = guardOver(store, { onUndecodable: (record) => undecodable.push(record.reason) });

    await guard.process(decodeRecord(delivered(null, { headers: { ferry_tombstone: 'true', ce_ferryversion: 'v' } })));
    await guard.process(decodeRecord(delivered('{not json')));

    assert.deepEqual(decisions, ['tombstone p-1@v', 'undecodable p-1@null']);
    assert.equal(undecodable.length, 1);
    assert.deepEqual(store.log, []);
  });
});

/** A kafkajs Kafka whose consumer records what the FerryKafkaConsumer does with it, and lets the test feed batches. */
function fakeKafka(log) {
  const consumer = {
    events: { CRASH: 'consumer.crash' },
    config: null,
    running: true,
    on: () => {},
    connect: async () => log.push('connect'),
    subscribe: async (subscription) => log.push(`subscribe ${subscription.topics} fromBeginning=${subscription.fromBeginning}`),
    run: async (config) => {
      consumer.runConfig = config;
      log.push(`run autoCommit=${config.autoCommit} eachBatchAutoResolve=${config.eachBatchAutoResolve}`);
    },
    disconnect: async () => {
      consumer.running = false;
      log.push('disconnect');
    },
    /** One batch as kafkajs hands it to eachBatch. */
    feed: (messages, { stale = () => false } = {}) => consumer.runConfig.eachBatch({
      batch: { topic: 'ferry.patient', partition: 2, messages },
      resolveOffset: (offset) => log.push(`resolve ${offset}`),
      heartbeat: async () => log.push('heartbeat'),
      isRunning: () => consumer.running,
      isStale: stale,
      commitOffsetsIfNecessary: async () => log.push('commit'),
    }),
  };
  return { consumer: (config) => {
    consumer.config = config;
    return consumer;
  }, fake: consumer };
}

function message(version, key = 'p-1') {
  return { offset: String(100 + version), key: Buffer.from(key),
    value: Buffer.from(JSON.stringify({ ...EVENT, aggregateId: key, version })), headers: {} };
}

describe('the Kafka consumer', () => {
  it('joins the group given, subscribes from the beginning, resolves offsets itself', async () => {
    const log = [];
    const kafka = fakeKafka(log);
    const consumer = new FerryKafkaConsumer({ kafka, groupId: 'patients-rm', topics: ['ferry.patient'],
      versions: fakeStore(), handle: () => true, shutdownSignals: [] });

    await consumer.start();

    assert.deepEqual(log, ['connect', 'subscribe ferry.patient fromBeginning=true',
      'run autoCommit=true eachBatchAutoResolve=false']);
    assert.equal(kafka.fake.config.groupId, 'patients-rm');
    assert.equal(kafka.fake.config.sessionTimeout, 10_000);
    assert.equal(kafka.fake.runConfig.partitionsConsumedConcurrently, 1);
  });

  it('resolves a record\'s offset only after its handler\'s write finished, duplicates included, in order', async () => {
    const log = [];
    const kafka = fakeKafka(log);
    const store = fakeStore({ 'p-1': 1 });
    let release;
    const held = new Promise((resolve) => {
      release = resolve;
    });
    const consumer = new FerryKafkaConsumer({ kafka, groupId: 'g', topics: ['ferry.patient'], versions: store,
      shutdownSignals: [], handle: async (record, guard) => {
        log.push(`write ${record.version} started`);
        if (record.version === 2) {
          await held; // the write of version 2 takes its time
        }
        const written = await store.write(guard);
        log.push(`write ${record.version} done`);
        return written;
      } });
    await consumer.start();
    log.length = 0;

    const batch = kafka.fake.feed([message(1), message(2), message(3)]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(log.filter((line) => !line.startsWith('heartbeat')), ['resolve 101', 'write 2 started'],
      'the duplicate 1 is resolved at once; nothing of 2 or 3 before 2 is written');
    release();
    await batch;

    assert.deepEqual(log.filter((line) => line !== 'heartbeat'), ['resolve 101', 'write 2 started', 'write 2 done',
      'resolve 102', 'write 3 started', 'write 3 done', 'resolve 103']);
    assert.equal(store.versions.get('p-1'), 3);
  });

  it('leaves a record unresolved when its handler keeps failing: the error reaches kafkajs, which delivers it again', async () => {
    const log = [];
    const kafka = fakeKafka(log);
    const store = fakeStore();
    const consumer = new FerryKafkaConsumer({ kafka, groupId: 'g', topics: ['ferry.patient'], versions: store,
      shutdownSignals: [], retry: { attempts: 2, initialMs: 1 }, handle: async (record, guard) => {
        if (record.version === 2) {
          throw new Error('down');
        }
        return store.write(guard);
      } });
    await consumer.start();
    log.length = 0;

    await assert.rejects(kafka.fake.feed([message(1), message(2), message(3)]), /down/);

    assert.deepEqual(log.filter((line) => line.startsWith('resolve')), ['resolve 101']);
  });

  it('hands kafkajs a handler\'s TypeError as a RecordNotApplied, so it restarts the consumer instead of giving up', async () => {
    const log = [];
    const kafka = fakeKafka(log);
    const store = fakeStore();
    const consumer = new FerryKafkaConsumer({ kafka, groupId: 'g', topics: ['ferry.patient'], versions: store,
      shutdownSignals: [], retry: { attempts: 1 }, handle: async (record) => record.value.payload.name.first });
    await consumer.start();

    await assert.rejects(kafka.fake.feed([message(1)]), (error) => error instanceof RecordNotApplied
      && !(error instanceof TypeError) && error.cause instanceof TypeError);
    assert.deepEqual(log.filter((line) => line.startsWith('resolve')), []);
  });

  it('stops after the record at hand on a stop or a rebalance; the rest is delivered again', async () => {
    const log = [];
    const kafka = fakeKafka(log);
    let stale = false;
    const consumer = new FerryKafkaConsumer({ kafka, groupId: 'g', topics: ['ferry.patient'], versions: fakeStore(),
      shutdownSignals: [], handle: (record) => {
        stale = record.version === 1;
        return true;
      } });
    await consumer.start();
    log.length = 0;

    await kafka.fake.feed([message(1), message(2)], { stale: () => stale });
    await consumer.stop();
    await consumer.stop();

    assert.deepEqual(log.filter((line) => line !== 'heartbeat'), ['resolve 101', 'disconnect']);
  });

  it('stops cleanly on a shutdown signal, and leaves the signal to other listeners if there are any', async () => {
    const log = [];
    const kafka = fakeKafka(log);
    const consumer = new FerryKafkaConsumer({ kafka, groupId: 'g', topics: ['ferry.patient'], versions: fakeStore(),
      shutdownSignals: ['SIGUSR2'], handle: () => true });
    let othersHeard = 0;
    const other = () => othersHeard++;
    process.on('SIGUSR2', other);
    try {
      await consumer.start();
      assert.equal(process.listenerCount('SIGUSR2'), 2);

      process.emit('SIGUSR2', 'SIGUSR2');
      await consumer.stop(); // the stop the signal started

      assert.ok(log.includes('disconnect'));
      assert.equal(othersHeard, 1);
      assert.equal(process.listenerCount('SIGUSR2'), 1, 'its own listener is gone');
    } finally {
      process.removeListener('SIGUSR2', other);
    }
  });

  it('refuses a missing group id, topic or store', () => {
    const kafka = fakeKafka([]);
    const base = { kafka, groupId: 'g', topics: ['t'], versions: fakeStore(), handle: () => true };
    assert.throws(() => new FerryKafkaConsumer({ ...base, groupId: ' ' }), /groupId/);
    assert.throws(() => new FerryKafkaConsumer({ ...base, topics: [] }), /topics/);
    assert.throws(() => new FerryKafkaConsumer({ ...base, versions: {} }), /lastVersion/);
    assert.throws(() => new FerryKafkaConsumer({ ...base, kafka: {} }), /kafkajs/);
  });
});

/** A collection that records the calls and answers as MongoDB would for the filter given. */
function fakeCollection(documents = new Map()) {
  const calls = [];
  return {
    calls,
    documents,
    findOne: async (filter, options) => {
      calls.push(['findOne', filter, options]);
      return documents.get(filter._id) ?? null;
    },
    replaceOne: async (filter, replacement, options) => {
      calls.push(['replaceOne', filter, replacement, options]);
      const document = documents.get(filter._id);
      const wanted = filter._version;
      const matches = document !== undefined && (wanted?.$exists === false ? !('_version' in document)
        : Number(document._version) === Number(wanted));
      if (matches || (options.upsert && document === undefined)) {
        documents.set(filter._id, { _id: filter._id, ...replacement });
        return { matchedCount: matches ? 1 : 0, upsertedCount: matches ? 0 : 1 };
      }
      return { matchedCount: 0, upsertedCount: 0 };
    },
    updateOne: async (filter, update, options) => {
      calls.push(['updateOne', filter, update, options]);
      const document = documents.get(filter._id);
      const wanted = filter._version;
      const matches = document !== undefined && (wanted?.$exists === false ? !('_version' in document)
        : Number(document._version) === Number(wanted));
      if (matches) {
        documents.set(filter._id, { ...document, _version: update.$set._version });
        return { matchedCount: 1, upsertedCount: 0 };
      }
      if (options.upsert && document === undefined) {
        documents.set(filter._id, { _id: filter._id, _version: update.$set._version });
        return { matchedCount: 0, upsertedCount: 1 };
      }
      if (options.upsert) {
        throw Object.assign(new Error('E11000 duplicate key error'), { code: 11000 });
      }
      return { matchedCount: 0, upsertedCount: 0 };
    },
  };
}

describe('the MongoDB read model', () => {
  it('updates on {_id, _version: expected}, setting the version (an int64 for events) in the same write', async () => {
    const collection = fakeCollection(new Map([['p-1', { _id: 'p-1', _version: 2 }]]));
    const readModel = new MongoReadModel(collection);

    const applied = await readModel.apply({ key: 'p-1', version: 3, expected: 2 },
      { $set: { name: 'Ada' }, $inc: { visits: 1 } }, { recordId: 'e-3' });

    assert.equal(applied, true);
    const [, filter, update, options] = collection.calls[0];
    assert.deepEqual(filter, { _id: 'p-1', _version: 2 });
    assert.deepEqual(update, { $set: { name: 'Ada', _version: Long.fromNumber(3), _lastRecordId: 'e-3' },
      $inc: { visits: 1 }, $unset: { _deleted: '' } });
    assert.deepEqual(options, { upsert: false });
  });

  it('creates the document only where none has a version, and says false when the version moved', async () => {
    const collection = fakeCollection(new Map([['p-1', { _id: 'p-1', _version: 5 }]]));
    const readModel = new MongoReadModel(collection);

    assert.equal(await readModel.apply({ key: 'p-2', version: 1, expected: null }, { $inc: { n: 1 } }), true);
    assert.deepEqual(collection.calls[0].slice(1, 2), [{ _id: 'p-2', _version: { $exists: false } }]);
    assert.equal(collection.calls[0][3].upsert, true);
    assert.equal(await readModel.apply({ key: 'p-1', version: 1, expected: null }), false, 'a duplicate key: it exists');
    assert.equal(await readModel.apply({ key: 'p-1', version: 5, expected: 4 }), false, 'moved to 5 meanwhile');
    assert.equal(await readModel.lastVersion('p-1'), 5);
    assert.equal(await readModel.lastVersion('p-9'), null);
  });

  it('removes a key as Java does: its fields go, its version stays with _deleted, conditional on the version read', async () => {
    const collection = fakeCollection(new Map([['p-1', { _id: 'p-1', _version: 2, name: 'Ada' }]]));
    const readModel = new MongoReadModel(collection);

    assert.equal(await readModel.remove({ key: 'p-1', version: 3, expected: 2 }, { recordId: 'e-3' }), true);
    const [method, filter, replacement, options] = collection.calls[0];
    assert.equal(method, 'replaceOne');
    assert.deepEqual(filter, { _id: 'p-1', _version: 2 });
    assert.deepEqual(replacement, { _version: Long.fromNumber(3), _deleted: true, _lastRecordId: 'e-3' });
    assert.deepEqual(options, { upsert: false });
    assert.deepEqual(await readModel.lastVersion('p-1'), Long.fromNumber(3));
    assert.equal(await readModel.remove({ key: 'p-1', version: 4, expected: 2 }), false, 'moved to 3 meanwhile');
  });

  it('keeps an entity\'s string version as it is, and refuses updates that set its own fields', async () => {
    const collection = fakeCollection();
    const readModel = new MongoReadModel(collection);

    await readModel.apply({ key: CHANGE.id, version: CHANGE.version, expected: null });
    assert.equal(collection.calls[0][2].$set._version, CHANGE.version);
    await assert.rejects(readModel.apply({ key: 'k', version: 1, expected: null }, { $set: { _version: 9 } }), TypeError);
    await assert.rejects(readModel.apply({ key: 'k', version: 1, expected: null }, { name: 'Ada' }), /operators only/);
  });
});
