// The Node client's append without a server: the commit document it builds (byte for byte the golden commit Ferry's
// Java store writes, which ferry-it's NodeClientAppendsByTheContractIT shows Java still writes), the input it refuses
// as Java refuses it, the size it measures as the relay publishes, and the steps of the contract against a collection
// that answers as MongoDB would. Against a real MongoDB and Java's store: NodeClientAppendsByTheContractIT.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { deserialize, Double, EJSON, Int32, Long, ObjectId, serialize } from 'bson';

import { buildCommit, decodeCommit, publishedBytes } from '../src/commit-document.js';
import { ConcurrencyConflict, EventStore, EventTooLarge, MalformedCommit } from '../src/index.js';

const GOLDEN = EJSON.parse(readFileSync(new URL('./golden/java-commit.json', import.meta.url), 'utf8'),
  { relaxed: false });

/** The golden commit's events as a Node service writes them: plain values, a bigint for the int64. */
const GOLDEN_EVENTS = [
  {
    eventType: 'Registered',
    payload: {
      name: 'Ada', born: new Date(Date.UTC(1815, 11, 10)), visits: 3, big: 5000000000n, weight: 61.5, tags: ['a', 'b'],
      none: null, nested: { ok: true },
    },
    metadata: { correlationId: 'c-1' },
  },
  { eventType: 'Noted', payload: {} },
];

/** The golden commit's ids and time, so that the built document can be compared with it byte for byte. */
function asGolden() {
  const ids = GOLDEN.events.map((event) => event.eventId);
  return { now: GOLDEN.committedAt, eventId: () => ids.shift(), objectId: () => GOLDEN._id };
}

describe('the commit document', () => {
  it('is the golden commit Java writes, byte for byte: int64 versions, dates, the _id first, null metadata', () => {
    const { commit } = buildCommit('patient', 'p-golden', 0, GOLDEN_EVENTS, asGolden());

    assert.deepEqual(Buffer.from(serialize(commit)), Buffer.from(serialize(GOLDEN)),
      `${EJSON.stringify(commit, { relaxed: false })}\nis not\n${EJSON.stringify(GOLDEN, { relaxed: false })}`);
  });

  it('returns the events it stores, as readAggregate reads them back', () => {
    const { commit, events } = buildCommit('patient', 'p-golden', 0, GOLDEN_EVENTS, asGolden());

    assert.deepEqual(events.map((event) => event.version), [1, 2]);
    assert.deepEqual(decodeCommit(commit), events);
    assert.deepEqual(events[1], {
      eventId: GOLDEN.events[1].eventId, aggregateType: 'patient', aggregateId: 'p-golden', version: 2,
      eventType: 'Noted', timestamp: GOLDEN.committedAt, payload: {},
      metadata: { correlationId: null, causationId: null },
    });
  });

  it('continues the expected version, given as a number or a bigint', () => {
    const fromNumber = buildCommit('patient', 'p-1', 41, [{ eventType: 'A', payload: {} }]).commit;
    const fromBigint = buildCommit('patient', 'p-1', 41n, [{ eventType: 'A', payload: {} }]).commit;

    for (const commit of [fromNumber, fromBigint]) {
      assert.deepEqual([commit.firstVersion, commit.lastVersion, commit.events[0].version],
        [Long.fromNumber(42), Long.fromNumber(42), Long.fromNumber(42)]);
    }
  });

  it('gives each event a random UUID and every event the commit time, in milliseconds', () => {
    const { commit } = buildCommit('patient', 'p-1', 0, [{ eventType: 'A', payload: {} }, { eventType: 'B', payload: {} }]);

    const [first, second] = commit.events;
    assert.match(first.eventId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(first.eventId, second.eventId);
    assert.equal(first.timestamp.getTime(), commit.committedAt.getTime());
    assert.equal(second.timestamp.getTime(), commit.committedAt.getTime());
  });
});

describe('the input it refuses, as Java refuses it', () => {
  const ok = [{ eventType: 'Registered', payload: {} }];
  const refused = [
    ['an aggregate type with a space', ['pa tient', 'p-1', 0, ok], RangeError, /may only contain A-Z a-z 0-9 \. _ -/],
    ['an empty aggregate type', ['', 'p-1', 0, ok], RangeError, /may only contain/],
    ['no aggregate type', [undefined, 'p-1', 0, ok], RangeError, /aggregate type 'undefined'/],
    ['an aggregate type over 200 characters', ['a'.repeat(201), 'p-1', 0, ok], RangeError, /the contract's 200/],
    ['a number as the aggregate id', ['patient', 42, 0, ok], TypeError, /aggregateId must be a string/],
    ['an empty aggregate id', ['patient', '', 0, ok], RangeError, /aggregateId must not be blank/],
    ['a white-space aggregate id', ['patient', ' \t\n', 0, ok], RangeError, /must not be blank/],
    ['an ideographic space as the aggregate id (Java calls it blank)', ['patient', '\u3000', 0, ok], RangeError,
      /must not be blank/],
    ['a negative expected version', ['patient', 'p-1', -1, ok], RangeError,
      /expectedVersion must be 0 \(new aggregate\) or more, was -1/],
    ['a fractional expected version', ['patient', 'p-1', 1.5, ok], TypeError, /must be an integer, was number 1.5/],
    ['a string as the expected version', ['patient', 'p-1', '1', ok], TypeError, /must be an integer, was '1'/],
    ['a version past 2^53', ['patient', 'p-1', 2n ** 53n, ok], RangeError, /not supported/],
    ['no events', ['patient', 'p-1', 0, []], RangeError, /an append needs at least one event/],
    ['events not in an array', ['patient', 'p-1', 0, ok[0]], RangeError, /an append needs at least one event/],
    ['an event without a type', ['patient', 'p-1', 0, [{ payload: {} }]], TypeError,
      /events\[0\]\.eventType must be a string/],
    ['a blank event type', ['patient', 'p-1', 0, [ok[0], { eventType: ' ', payload: {} }]], RangeError,
      /events\[1\]\.eventType must not be blank/],
    ['an event without a payload', ['patient', 'p-1', 0, [{ eventType: 'A' }]], TypeError,
      /events\[0\]\.payload must be a document/],
    ['an array as the payload', ['patient', 'p-1', 0, [{ eventType: 'A', payload: [1] }]], TypeError, /an array/],
    ['a JSON string as the payload', ['patient', 'p-1', 0, [{ eventType: 'A', payload: '{}' }]], TypeError,
      /payload must be a document/],
    ['a BSON value as the payload', ['patient', 'p-1', 0, [{ eventType: 'A', payload: new ObjectId() }]], TypeError,
      /payload must be a document/],
    ['a date as the payload', ['patient', 'p-1', 0, [{ eventType: 'A', payload: new Date() }]], TypeError,
      /payload must be a document/],
    ['a number as a correlation id', ['patient', 'p-1', 0, [{ eventType: 'A', payload: {}, metadata: { correlationId: 7 } }]],
      TypeError, /events\[0\]\.metadata\.correlationId must be a string or null/],
    ['metadata that is not an object', ['patient', 'p-1', 0, [{ eventType: 'A', payload: {}, metadata: 'c-1' }]],
      TypeError, /events\[0\]\.metadata must be an object/],
  ];
  for (const [what, args, type, message] of refused) {
    it(`refuses ${what}`, () => {
      assert.throws(() => buildCommit(...args), (error) => error instanceof type && message.test(error.message));
    });
  }

  it('takes what Java takes: a 200-character type, a no-break space as the id, a Map payload, null metadata', () => {
    assert.doesNotThrow(() => buildCommit('a'.repeat(200), '\u00a0', 0,
      [{ eventType: 'A', payload: new Map([['2', 'b'], ['1', 'a']]), metadata: null }]));
  });
});

describe('the size of an event as the relay publishes it', () => {
  it('is the envelope around the payload in Java\'s relaxed Extended JSON', () => {
    const event = {
      eventId: '0b7c2f7e-1d2a-4c3b-9e8f-5a6b7c8d9e0f', aggregateType: 'patient', aggregateId: 'p-1', version: 3,
      eventType: 'Moved', timestamp: new Date(Date.UTC(2026, 11, 7, 12, 0, 0, 100)),
      payload: { n: 1, big: new Long(5), x: new Double(2), at: new Date(0), s: 'é"' },
      metadata: { correlationId: 'c-1', causationId: null },
    };
    // Java: {"eventId":"…","aggregateType":"patient","aggregateId":"p-1","version":3,"eventType":"Moved",
    //  "timestamp":"2026-12-07T12:00:00.100Z","payload":{"n": 1, "big": 5, "x": 2.0, "at": {"$date":
    //  "1970-01-01T00:00:00Z"}, "s": "é\""},"metadata":{"correlationId":"c-1","causationId":null}}
    const java = '{"eventId":"0b7c2f7e-1d2a-4c3b-9e8f-5a6b7c8d9e0f","aggregateType":"patient","aggregateId":"p-1",'
      + '"version":3,"eventType":"Moved","timestamp":"2026-12-07T12:00:00.100Z","payload":{"n": 1, "big": 5, '
      + '"x": 2.0, "at": {"$date": "1970-01-01T00:00:00Z"}, "s": "é\\""},"metadata":{"correlationId":"c-1",'
      + '"causationId":null}}';
    assert.equal(publishedBytes(event), Buffer.byteLength(java));
  });

  it('refuses an event over the limit, naming it, as Java does', () => {
    const big = { eventType: 'Scanned', payload: { image: 'x'.repeat(2_000) } };

    assert.throws(() => buildCommit('patient', 'p-1', 0, [big], { maxEventBytes: 2_000 }), (error) => error instanceof
      EventTooLarge && /^event Scanned of aggregate p-1 is 2\d{3} bytes as published, over the broker's record limit of 2000 bytes$/
      .test(error.message));
  });
});

describe('a stored commit read back', () => {
  it('takes int32 versions, as the Node driver writes them when a service follows the contract itself', () => {
    const commit = { ...GOLDEN, firstVersion: new Int32(1), lastVersion: 2, events: GOLDEN.events.map((event, i) => ({
      ...event, version: i === 0 ? 1 : new Int32(2) })) };

    assert.deepEqual(decodeCommit(commit).map((event) => event.version), [1, 2]);
  });

  it('is refused with the relay\'s reason when it breaks the contract', () => {
    const broken = [
      [{ ...GOLDEN, lastVersion: Long.fromNumber(3) }, "'lastVersion' is 3, expected firstVersion + events - 1 = 2"],
      [{ ...GOLDEN, committedAt: 'now' }, "'committedAt' must be a date"],
      [{ ...GOLDEN, events: [] }, "'events' must be a non-empty array"],
      [{ ...GOLDEN, aggregateType: 'a b' }, /^'aggregateType' must match/],
      [{ ...GOLDEN, firstVersion: new Double(1) }, "'firstVersion' must be an integer"],
      [{ ...GOLDEN, events: [GOLDEN.events[1], GOLDEN.events[0]] }, 'events[0].version is 2, expected 1'],
    ];
    for (const [commit, reason] of broken) {
      assert.throws(() => decodeCommit(commit), (error) => error instanceof MalformedCommit
        && (typeof reason === 'string' ? error.message === reason : reason.test(error.message)));
    }
  });
});

/** A collection that answers as MongoDB does for the store's few operations, with both unique indexes. */
class FakeCommits {
  constructor() {
    this.documents = [];
    this.inserts = [];
    this.failNextInsertAfterStoring = false;
  }

  async insertOne(document, options) {
    this.inserts.push(options);
    const clash = this.documents.find((stored) => stored._id.equals(document._id) || (stored.aggregateType
      === document.aggregateType && stored.aggregateId === document.aggregateId && (Number(stored.firstVersion)
      === Number(document.firstVersion) || Number(stored.lastVersion) === Number(document.lastVersion))));
    if (clash) {
      throw Object.assign(new Error('E11000 duplicate key error'), { code: 11000 });
    }
    this.documents.push(deserialize(serialize(document))); // stored, and read back as the driver reads it
    if (this.failNextInsertAfterStoring) {
      this.failNextInsertAfterStoring = false;
      throw Object.assign(new Error('E11000 duplicate key error (a retry meeting its first attempt)'), { code: 11000 });
    }
  }

  async findOne(filter, options = {}) {
    const matching = this.#matching(filter);
    if (options.sort?.lastVersion === -1) {
      matching.sort((a, b) => Number(b.lastVersion) - Number(a.lastVersion));
    }
    return matching[0] ?? null;
  }

  find(filter) {
    const matching = this.#matching(filter);
    return { sort: () => matching.sort((a, b) => Number(a.firstVersion) - Number(b.firstVersion)) };
  }

  #matching(filter) {
    const number = (value) => (value?._bsontype === 'Long' ? value.toNumber() : Number(value));
    return this.documents.filter((document) => Object.entries(filter).every(([field, value]) => (field === '_id'
      ? document._id.equals(value) : (typeof document[field] === 'string' ? document[field] === value
        : number(document[field]) === number(value)))));
  }
}

describe('appending by the contract', () => {
  const one = [{ eventType: 'Noted', payload: {} }];

  it('inserts one commit with write concern majority and returns its events', async () => {
    const commits = new FakeCommits();
    const store = new EventStore(commits);

    const stored = await store.append('patient', 'p-1', 0, GOLDEN_EVENTS);

    assert.deepEqual(stored.map((event) => event.version), [1, 2]);
    assert.equal(commits.documents.length, 1);
    assert.deepEqual(commits.inserts, [{ writeConcern: { w: 'majority' } }]);
    assert.deepEqual((await store.readAggregate('patient', 'p-1')).map((event) => event.eventId),
      stored.map((event) => event.eventId));
  });

  it('reports a lost race (a duplicate key) as a conflict with the version the aggregate is at', async () => {
    const store = new EventStore(new FakeCommits());
    await store.append('patient', 'p-1', 0, GOLDEN_EVENTS);

    await assert.rejects(store.append('patient', 'p-1', 0, one), (error) => {
      assert.ok(error instanceof ConcurrencyConflict);
      assert.deepEqual([error.name, error.aggregateType, error.aggregateId, error.expectedVersion, error.actualVersion],
        ['ConcurrencyConflict', 'patient', 'p-1', 0, 2]);
      assert.equal(error.message, 'concurrency conflict on patient p-1: expected version 0, but versions 1..1 (or '
        + 'earlier ones) were already appended by someone else (the aggregate is at version 2); reload the aggregate '
        + 'and retry');
      assert.equal(error.cause.code, 11000);
      return true;
    });
  });

  it('reports an expected version that no commit ends at as a conflict, before inserting', async () => {
    const commits = new FakeCommits();
    const store = new EventStore(commits);
    await store.append('patient', 'p-1', 0, GOLDEN_EVENTS);

    for (const expected of [1, 5]) {
      await assert.rejects(store.append('patient', 'p-1', expected, one), (error) => error instanceof ConcurrencyConflict
        && error.expectedVersion === expected && error.actualVersion === 2);
    }
    assert.equal(commits.inserts.length, 1);
  });

  it('continues the aggregate where its last commit ended', async () => {
    const store = new EventStore(new FakeCommits());
    await store.append('patient', 'p-1', 0, GOLDEN_EVENTS);

    const [third] = await store.append('patient', 'p-1', 2, one);

    assert.equal(third.version, 3);
    assert.equal(await store.currentVersion('patient', 'p-1'), 3);
    assert.deepEqual((await store.readAggregate('patient', 'p-1')).map((event) => event.version), [1, 2, 3]);
  });

  it('takes a duplicate key on its own commit (a retried insert that was stored) as the append succeeding', async () => {
    const commits = new FakeCommits();
    commits.failNextInsertAfterStoring = true;
    const store = new EventStore(commits);

    const stored = await store.append('patient', 'p-1', 0, one);

    assert.deepEqual(stored.map((event) => event.version), [1]);
    assert.equal(commits.documents.length, 1);
  });

  it('knows a duplicate key from a client that reads numbers as Int32 (promoteValues: false)', async () => {
    const commits = new FakeCommits();
    const store = new EventStore(commits);
    await store.append('patient', 'p-1', 0, one);
    const insertOne = commits.insertOne.bind(commits);
    commits.insertOne = (document, options) => insertOne(document, options).catch((error) => {
      throw Object.assign(error, { code: new Int32(11000), codeName: 'DuplicateKey' });
    });

    await assert.rejects(store.append('patient', 'p-1', 0, one), ConcurrencyConflict);
  });

  it('passes on an error that is not a duplicate key', async () => {
    const commits = new FakeCommits();
    commits.insertOne = async () => {
      throw Object.assign(new Error('not primary'), { code: 10107 });
    };

    await assert.rejects(new EventStore(commits).append('patient', 'p-1', 0, one), /not primary/);
  });

  it('creates the indexes Java creates, with their names', async () => {
    const created = [];
    const store = new EventStore({ insertOne() {}, createIndexes: async (specs) => created.push(...specs) });

    assert.equal(await store.createIndexes(), store);
    assert.deepEqual(created, [
      { key: { aggregateType: 1, aggregateId: 1, firstVersion: 1 }, name: 'aggregate_first_version', unique: true },
      { key: { aggregateType: 1, aggregateId: 1, lastVersion: 1 }, name: 'aggregate_last_version', unique: true },
    ]);
  });

  it('takes a Db and the collection\'s name (events by default)', () => {
    const names = [];
    const db = { collection: (name) => names.push(name) && new FakeCommits() };

    new EventStore(db);
    new EventStore(db, { collection: 'commits' });

    assert.deepEqual(names, ['events', 'commits']);
    assert.throws(() => new EventStore(null), TypeError);
  });
});
