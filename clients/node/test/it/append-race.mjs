// A Node appender racing others on the same aggregates, for ferry-it's JavaAndNodeAppendersRaceIT: the client's
// EventStore as a service uses it — read the aggregate's version, append, and on a ConcurrencyConflict read again and
// retry — until it has stored its share of events, while Java appenders (and maybe another of these) do the same.
//
// node test/it/append-race.mjs <connection string> <database> <collection> <writer> <aggregate type> <ids,…> <events>
//
// Prints one JSON line when connected, {"ready": true}, then waits for a line on stdin to start (so that every
// appender starts at once), then one line per append attempt:
//   {"attempt": "<writer>#<k>", "aggregateId", "expectedVersion", "outcome": "appended", "versions": [..], "eventIds": [..]}
//   {"attempt": "<writer>#<k>", "aggregateId", "expectedVersion", "outcome": "conflict", "conflict": {name, code,
//    aggregateType, aggregateId, expectedVersion, actualVersion}}
// and at the end {"done": true, "appended": <events>, "conflicts": <attempts>}. Each event's payload is
// {"n": <its version>, "attempt": "<writer>#<k>"}: what the test's projection keeps, and which attempt stored it.
// Its stdin closing before it is done (the test gone) stops it; any error other than a conflict exits 1.
import { createInterface } from 'node:readline';

import { MongoClient } from 'mongodb';

import { ConcurrencyConflict, EventStore } from '../../src/index.js';

const [uri, databaseName, collectionName, writer, aggregateType, ids, eventCount] = process.argv.slice(2);
const aggregateIds = ids.split(',');
const events = Number(eventCount);
/** Attempts on one append before this appender gives up: far more than a fair race needs. */
const MAX_ATTEMPTS_PER_APPEND = 1_000;

const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000 });
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
let attempts = 0;
let exitCode = 0;
try {
  await race();
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await client.close().catch(() => {});
}
process.exit(exitCode); // stdin is still being listened to

async function race() {
  await client.db(databaseName).command({ ping: 1 });
  print({ ready: true });
  if ((await lines.next()).done) {
    throw new Error('stdin closed before the start: the test is gone');
  }
  // From now on a closed stdin means the test is gone: stop rather than append on without it.
  lines.next().then(() => {
    console.error(`${writer}: stdin closed, stopping`);
    process.exit(3);
  });
  const store = new EventStore(client.db(databaseName), { collection: collectionName });
  let appended = 0;
  let conflicts = 0;
  while (appended < events) {
    const aggregateId = aggregateIds[Math.floor(Math.random() * aggregateIds.length)];
    const batch = Math.min(1 + Math.floor(Math.random() * 2), events - appended);
    conflicts += await appendWithRetry(store, aggregateId, batch);
    appended += batch;
  }
  print({ done: true, appended, conflicts });
}

/** Appends `batch` events to the aggregate at its current version, reloading it after each conflict; the conflicts met. */
async function appendWithRetry(store, aggregateId, batch) {
  for (let conflicts = 0; conflicts < MAX_ATTEMPTS_PER_APPEND; conflicts++) {
    const attempt = `${writer}#${++attempts}`;
    const expectedVersion = await store.currentVersion(aggregateType, aggregateId);
    const newEvents = Array.from({ length: batch }, (_, i) => ({
      eventType: 'Changed',
      payload: { n: expectedVersion + i + 1, attempt },
      metadata: { correlationId: writer },
    }));
    try {
      const stored = await store.append(aggregateType, aggregateId, expectedVersion, newEvents);
      print({ attempt, aggregateId, expectedVersion, outcome: 'appended', versions: stored.map(e => e.version),
        eventIds: stored.map(e => e.eventId) });
      return conflicts;
    } catch (error) {
      if (!(error instanceof ConcurrencyConflict)) {
        throw error;
      }
      const { name, code, aggregateType: type, aggregateId: id, expectedVersion: expected, actualVersion } = error;
      print({ attempt, aggregateId, expectedVersion, outcome: 'conflict', conflict: { name, code, aggregateType: type,
        aggregateId: id, expectedVersion: expected, actualVersion } });
    }
  }
  throw new Error(`${writer}: ${MAX_ATTEMPTS_PER_APPEND} conflicts in a row on ${aggregateId}`);
}

function print(line) {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
