// One instance of a Node read model on Ferry's NATS stream, for ferry-it's NodeConsumersKeepOrderOnNatsIT (two of them
// in one group, one killed with SIGKILL and started again) and MixedJavaAndNodeOwnersIT (beside Java projectors).
//
// node test/it/nats-consume.mjs <nats url> <stream> <type> <group> <mongodb uri> <database> <collection> <instance>
//
// The leases are Ferry's, in <database>.ferry_leases. The read model is the fold of kafka-consume.mjs (count, sum of n,
// state.n, applied versions). Prints one JSON line per decision of the guard ({instance, decision, key, version,
// stored, partition, offset: the stream sequence}), one per change of ownership ({instance, event: gained | revoked |
// lost, partition, epoch}) and one when running ({instance, event: "started"}). Stops cleanly on SIGTERM.
import { connect } from '@nats-io/transport-node';
import { MongoClient } from 'mongodb';

import { FerryNatsConsumer, MongoReadModel } from '../../src/index.js';

const [servers, stream, type, group, uri, databaseName, collectionName, instance] = process.argv.slice(2);

function print(line) {
  process.stdout.write(`${JSON.stringify({ instance, ...line })}\n`);
}

const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000 });
const database = client.db(databaseName);
const readModel = new MongoReadModel(database.collection(collectionName));
const nats = await connect({ servers, name: `ferry-it-${instance}` });
const consumer = new FerryNatsConsumer({
  nats, leases: database, stream, group, types: [type], instanceId: instance,
  versions: readModel,
  handle: (record, guard) => readModel.apply(guard, {
    $inc: { count: 1, sum: record.value.payload.n }, $set: { 'state.n': record.value.payload.n },
    $push: { applied: record.version },
  }, { recordId: record.value.eventId }),
  onDecision: print,
  onGap: (gap) => print({ event: 'gap', key: gap.key, stored: gap.stored, version: gap.version }),
  onOwnership: print,
  onError: (error) => process.stderr.write(`${error?.stack ?? error}\n`),
});
await consumer.start();
print({ event: 'started' });
