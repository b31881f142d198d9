// Appends one commit to a Ferry event store with the Node.js MongoDB driver, following the commit contract
// (docs/concepts.md, "The commit contract"; contracts/commit.bson-schema.json) step by step, as another team's
// service would, and reads the append back from a change stream that watches the store as Ferry's relay does.
//
// node append-and-watch.mjs <connection string> <database> <collection> <aggregateType> <aggregateId> <expectedVersion>
// Prints one line of canonical Extended JSON: {driver, maxWireVersion, commit, change}; exits 1 on a conflict or error.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { BSON, MongoClient } from 'mongodb';

const [uri, databaseName, collectionName, aggregateType, aggregateId, expected] = process.argv.slice(2);
const expectedVersion = Number(expected);
const driver = JSON.parse(await readFile(new URL('./node_modules/mongodb/package.json', import.meta.url))).version;

const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000 });
try {
  const commits = client.db(databaseName).collection(collectionName);
  // Inserts only, as the relay reads the store. The first (empty) read opens the stream, so it sees the append.
  const stream = commits.watch([{ $match: { operationType: 'insert' } }], { maxAwaitTimeMS: 500 });
  await stream.tryNext();

  // 1. The events, versions expectedVersion + 1 …, each with a unique eventId (numbers: int32, as this driver writes).
  const at = new Date();
  const events = [
    { eventId: randomUUID(), version: expectedVersion + 1, eventType: 'Moved', timestamp: at,
      payload: { ward: { id: 3, tags: ['node'] } }, metadata: { correlationId: 'node-c-1', causationId: null } },
    { eventId: randomUUID(), version: expectedVersion + 2, eventType: 'Noted', timestamp: at,
      payload: {}, metadata: { correlationId: null, causationId: null } },
  ];
  const commit = { aggregateType, aggregateId, firstVersion: expectedVersion + 1,
    lastVersion: expectedVersion + events.length, committedAt: at, events };

  // 2. The commit continues the aggregate's last one.
  if (expectedVersion > 0 && (await commits.findOne({ aggregateType, aggregateId, lastVersion: expectedVersion })) == null) {
    throw new Error(`conflict: no commit of ${aggregateType}/${aggregateId} ends at version ${expectedVersion}`);
  }
  // 3. Insert with w: majority; a duplicate key (code 11000) would be a conflict: re-read and decide again.
  await commits.insertOne(commit, { writeConcern: { w: 'majority' } });

  const change = await stream.next();
  await stream.close();
  const { maxWireVersion } = await client.db('admin').command({ hello: 1 });
  process.stdout.write(BSON.EJSON.stringify({ driver, maxWireVersion, commit, change }, { relaxed: false }) + '\n');
} finally {
  await client.close();
}
