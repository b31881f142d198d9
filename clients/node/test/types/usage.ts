// Compiled by `npm run typecheck` only: uses the typings as a TypeScript service would, so that a typing that does not
// match the API (or does not compile) fails the check.
import { connect } from '@nats-io/transport-node';
import { Kafka } from 'kafkajs';
import { MongoClient } from 'mongodb';

import {
  ConcurrencyConflict, EventStore, FerryKafkaConsumer, FerryNatsConsumer, MongoReadModel, partitionOf, type EventRecord,
  type Guard,
} from '../../src/index.js';

export async function usage(): Promise<void> {
  const mongo = new MongoClient('mongodb://localhost:27017');
  const store = new EventStore(mongo.db('clinic'));
  try {
    const [stored] = await store.append('patient', 'p-1', 0, [{ eventType: 'Registered', payload: { name: 'Ada' } }]);
    const version: number = stored.version;
    void version;
  } catch (error) {
    if (error instanceof ConcurrencyConflict) {
      const expected: number | bigint = error.expectedVersion;
      void expected;
    }
  }
  const partition: number = partitionOf('p-1', 12);
  void partition;
  const patients = new MongoReadModel(mongo.db('billing').collection('patients'));
  const handle = (record: EventRecord, guard: Guard): Promise<boolean> =>
    patients.apply(guard, { $set: { name: record.value.payload.name } }, { recordId: record.value.eventId });
  const onKafka = new FerryKafkaConsumer({
    kafka: new Kafka({ clientId: 'billing', brokers: ['kafka:9092'] }), groupId: 'billing.patients',
    topics: ['ferry.patient'], versions: patients,
    handle: (record, guard) => (record.kind === 'event' ? handle(record, guard) : patients.apply(guard)),
  });
  const onNats = new FerryNatsConsumer({
    nats: await connect({ servers: 'nats://localhost:4222' }), leases: mongo.db('ferry'), group: 'billing.patients',
    types: ['patient'], instanceId: 'pod-1', versions: patients,
    handle: (record, guard) => (record.kind === 'event' ? handle(record, guard) : patients.apply(guard)),
    onOwnership: (change) => console.log(change.event, change.partition, change.epoch),
  });
  await Promise.all([onKafka.start(), onNats.start()]);
  const owned: string[] = onNats.owned;
  void owned;
  await Promise.all([onKafka.stop(), onNats.stop()]);
}
