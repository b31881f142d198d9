// One instance of a Node read model on Ferry's Kafka topics, for ferry-it's NodeConsumersKeepOrderOnKafkaIT, which runs
// two of them in one consumer group, kills one with SIGKILL and starts it again.
//
// node test/it/kafka-consume.mjs <brokers> <topic> <group id> <mongodb uri> <database> <collection> <instance>
//
// The read model is a fold of AppendLoad's events ({n} payloads) per aggregate: count, sum of n, the last n (state.n,
// what ferry-it's ReadModelCheck compares), and every applied version in `applied`, pushed by the same conditional
// update that moves `_version`. Prints one JSON line per decision of the guard ({instance, decision, key, version,
// stored, partition, offset}), one when the group assigns partitions ({instance, event: "joined", assignment}) and
// one when running ({instance, event: "started"}). Stops cleanly on SIGTERM (the consumer's default).
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';

import { FerryKafkaConsumer, MongoReadModel } from '../../src/index.js';

const [brokers, topic, groupId, uri, databaseName, collectionName, instance] = process.argv.slice(2);

function print(line) {
  process.stdout.write(`${JSON.stringify({ instance, ...line })}\n`);
}

const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000 });
const readModel = new MongoReadModel(client.db(databaseName).collection(collectionName));
const kafka = new Kafka({
  clientId: `ferry-it-${instance}`, brokers: brokers.split(','), logLevel: logLevel.WARN,
  // kafkajs logs to stdout by default; stdout is the decisions' log here
  logCreator: () => ({ namespace, level, log }) => process.stderr.write(`${namespace} ${level} ${log.message}\n`),
});
const consumer = new FerryKafkaConsumer({
  kafka, groupId, topics: [topic],
  // the broker's lowest session timeout, so that the kill's partitions move soon; short fetch waits, so that a
  // caught-up instance heartbeats, and so rejoins, soon
  consumerConfig: { sessionTimeout: 6_000, heartbeatInterval: 500, maxWaitTimeInMs: 500 },
  versions: readModel,
  handle: (record, guard) => readModel.apply(guard, {
    $inc: { count: 1, sum: record.value.payload.n }, $set: { 'state.n': record.value.payload.n },
    $push: { applied: record.version },
  }, { recordId: record.value.eventId }),
  onDecision: print,
  onGap: (gap) => print({ event: 'gap', key: gap.key, stored: gap.stored, version: gap.version }),
  onAssigned: (assignment) => print({ event: 'joined', assignment }),
});
await consumer.start();
print({ event: 'started' });
