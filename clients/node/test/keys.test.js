import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { deserialize, Double, EJSON, Int32, Long, serialize } from 'bson';

import { entityKey, keyBytes, murmur2, partitionOf } from '../src/keys.js';
import { idFromExtendedJson, parseInOrder, toPlain } from './support/ordered-json.js';

// The frozen test vectors Ferry's Java side passes too (KeyTestVectorsTest): contracts/keys.json, see keys.md.
const file = parseInOrder(readFileSync(new URL('../../../contracts/keys.json', import.meta.url), 'utf8'));
const counts = file.get('partitionCounts');
const vectors = file.get('vectors').map((vector) => ({
  name: vector.get('name'),
  type: vector.get('type'),
  idJson: vector.get('id'),
  id: idFromExtendedJson(vector.get('id')),
  key: vector.get('key'),
  keyUtf8Hex: vector.get('keyUtf8Hex'),
  partitions: vector.get('partitions'),
}));
const byName = new Map(vectors.map((vector) => [vector.name, vector]));

test('the vectors cover every type MongoDB takes as an _id', () => {
  assert.deepEqual(new Set(vectors.map((vector) => vector.type)), new Set(['objectId', 'string', 'int', 'long',
    'double', 'decimal', 'bool', 'date', 'timestamp', 'binData', 'object', 'minKey', 'maxKey', 'null', 'symbol',
    'javascript', 'javascriptWithScope']));
});

for (const vector of vectors) {
  test(`key of ${vector.name}`, () => {
    assert.equal(entityKey(vector.id), vector.key);
    assert.equal(Buffer.from(keyBytes(vector.key)).toString('hex'), vector.keyUtf8Hex);
    assert.deepEqual([...vector.partitions.keys()], counts.map(String));
    for (const count of counts) {
      assert.equal(partitionOf(vector.key, count), vector.partitions.get(String(count)), `of ${count}`);
    }
  });
}

test('EJSON.parse (relaxed: false) reads every id but one to the same key: integer-like field names move first', () => {
  const moved = [];
  for (const vector of vectors) {
    const id = EJSON.parse(JSON.stringify(toPlain(vector.idJson)), { relaxed: false });
    if (entityKey(id) !== vector.key) {
      moved.push(vector.name);
    }
  }
  assert.deepEqual(moved, ['document, integer-like field names after others (order kept)']);
});

test('a JavaScript number is keyed as the driver stores it: int32 if it can be, else a double', () => {
  assert.equal(entityKey(42), byName.get('int32 42').key);
  assert.equal(entityKey(new Int32(42)), byName.get('int32 42').key);
  assert.equal(entityKey(-2147483648), byName.get('int32 min').key);
  assert.equal(entityKey(1.5e-7), byName.get('double 1.5E-7').key);
  assert.equal(entityKey(-0), byName.get('double -0.0').key);
  assert.equal(entityKey(2 ** 53), byName.get('double 2^53 (integral, large)').key);
  assert.equal(entityKey(new Double(1)), byName.get('double 1.0 (integral)').key);
  assert.equal(entityKey(9007199254740993n), byName.get('int64 2^53+1 (beyond a JS number)').key);
  assert.equal(entityKey(Long.fromString('42')), byName.get('int64 42').key);
});

test('an id read back with promoteValues: false and bsonRegExp: true keeps its key, but integer-like field names', () => {
  const moved = [];
  for (const vector of vectors) {
    const back = deserialize(serialize({ _id: vector.id }), { promoteValues: false, bsonRegExp: true })._id;
    if (entityKey(back) !== vector.key) {
      moved.push(vector.name);
    }
  }
  assert.deepEqual(moved, ['document, integer-like field names after others (order kept)']);
});

test("an id read back with the driver's defaults loses its type: an int64 or an integral double becomes a number", () => {
  const readBack = (name) => deserialize(serialize({ _id: byName.get(name).id }))._id;
  assert.equal(entityKey(readBack('int64 42')), byName.get('int32 42').key);
  assert.equal(entityKey(readBack('double 1.0 (integral)')), '{"$numberInt": "1"}');
  assert.equal(entityKey(readBack('symbol (deprecated)')), 'sym');
});

test('ids MongoDB refuses have no key, nor a date beyond what a JavaScript Date holds', () => {
  assert.throws(() => entityKey(new Date(8.64e15 + 1)), RangeError);
  assert.throws(() => entityKey({ at: new Date(Number.NaN) }), RangeError);
  assert.throws(() => entityKey(undefined), TypeError);
  assert.throws(() => entityKey([1, 2]), TypeError);
  assert.throws(() => entityKey(/a/), TypeError);
});

test('partitions are counted from one', () => {
  assert.throws(() => partitionOf('p-1', 0), RangeError);
  assert.throws(() => partitionOf('p-1', 1.5), RangeError);
});

test("murmur2 is Kafka's (values Kafka 4.4's Utils.murmur2 gives, pinned by Ferry's KeyPartitionerTest)", () => {
  // KeyPartitionerTest: key | partition of 12 | partition of 7
  const pinned = [['p-1', 4, 6], ['p-2', 4, 5], ['patient-42', 3, 0], ['a', 4, 5], ['ab', 2, 0], ['abc', 3, 4],
    ['abcd', 8, 5], ['abcde', 1, 4], ['', 9, 2], ['ünïcødé-€', 3, 1], ['00000000-0000-0000-0000-000000000000', 9, 3],
    ['p-999', 8, 2]];
  for (const [key, ofTwelve, ofSeven] of pinned) {
    assert.equal(partitionOf(key, 12), ofTwelve, key);
    assert.equal(partitionOf(key, 7), ofSeven, key);
  }
  assert.equal(murmur2(new Uint8Array(0)), murmur2(keyBytes('')));
});
