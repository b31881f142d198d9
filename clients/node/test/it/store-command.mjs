// One call of the Node client's EventStore against a real MongoDB, for ferry-it's NodeClientAppendsByTheContractIT,
// which interleaves these calls with appends and reads by Ferry's Java store on the same collection.
//
// node test/it/store-command.mjs <connection string> <database> <collection> createIndexes
// node test/it/store-command.mjs <connection string> <database> <collection> append <type> <id> <expected> <events>
// node test/it/store-command.mjs <connection string> <database> <collection> read <type> <id>
//
// <events> is {events: [{eventType, payload, metadata?}, …]} in canonical Extended JSON, so the payload's BSON types are
// the test's choice. Prints one line of canonical Extended JSON: {outcome: "appended", events, publishedBytes},
// {outcome: "conflict", name, message, aggregateType, aggregateId, expectedVersion, actualVersion},
// {outcome: "read", events} or {outcome: "indexed"}; exits 1 on any other error.
import { EJSON } from 'bson';
import { MongoClient } from 'mongodb';

import { ConcurrencyConflict, EventStore } from '../../src/index.js';
import { publishedBytes } from '../../src/commit-document.js';

const [uri, databaseName, collectionName, command, ...args] = process.argv.slice(2);

// promoteValues: false reads numbers back as Int32, Long and Double, so what is printed shows the stored BSON types
const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000, promoteValues: false });
try {
  const store = new EventStore(client.db(databaseName), { collection: collectionName });
  process.stdout.write(`${EJSON.stringify(await run(store), { relaxed: false })}\n`);
} finally {
  await client.close();
}

async function run(store) {
  switch (command) {
    case 'createIndexes':
      await store.createIndexes();
      return { outcome: 'indexed' };
    case 'append': {
      const [type, id, expected, events] = args;
      try {
        const stored = await store.append(type, id, Number(expected), EJSON.parse(events, { relaxed: false }).events);
        return { outcome: 'appended', events: stored, publishedBytes: stored.map(publishedBytes) };
      } catch (error) {
        if (!(error instanceof ConcurrencyConflict)) {
          throw error;
        }
        const { name, message, aggregateType, aggregateId, expectedVersion, actualVersion } = error;
        return { outcome: 'conflict', name, message, aggregateType, aggregateId, expectedVersion, actualVersion };
      }
    }
    case 'read':
      return { outcome: 'read', events: await store.readAggregate(args[0], args[1]) };
    default:
      throw new Error(`unknown command ${command}`);
  }
}
