export { ConcurrencyConflict, EventTooLarge, MalformedCommit, RecordNotApplied } from './errors.js';
export { EventStore, EventStoreOptions, EventMetadata, NewEvent, StoredEvent } from './event-store.js';
export { FerryKafkaConsumer, FerryKafkaConsumerOptions } from './kafka-consumer.js';
export { FerryNatsConsumer, FerryNatsConsumerOptions, LeaseTiming, OwnershipChange } from './nats-consumer.js';
export { entityKey, keyBytes, murmur2, partitionOf } from './keys.js';
export { MongoReadModel } from './mongo-read-model.js';
export {
  CONTIGUOUS, decodeRecord, EntityChangeRecord, EventRecord, FerryRecord, INCREASING, TombstoneRecord,
  UndecodableRecord, VersionRule,
} from './records.js';
export {
  compareVersions, decide, Decision, DecisionName, DecisionReport, Gap, Guard, GuardOptions, Handler, RetryOptions,
  StoredVersion, VersionGuard, VersionStore,
} from './version-guard.js';
