// Ferry's Node.js client: appending commits by the commit contract, keys and partitions as Ferry computes them, and
// consuming Ferry's topics in order, each record guarded by version.
export { ConcurrencyConflict, EventTooLarge, MalformedCommit, RecordNotApplied } from './errors.js';
export { EventStore } from './event-store.js';
export { FerryKafkaConsumer } from './kafka-consumer.js';
export { FerryNatsConsumer } from './nats-consumer.js';
export { entityKey, keyBytes, murmur2, partitionOf } from './keys.js';
export { MongoReadModel } from './mongo-read-model.js';
export { CONTIGUOUS, decodeRecord, INCREASING } from './records.js';
export { compareVersions, decide, Decision, VersionGuard } from './version-guard.js';
