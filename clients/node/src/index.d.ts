export { ConcurrencyConflict, EventTooLarge, MalformedCommit } from './errors.js';
export { EventStore, EventStoreOptions, EventMetadata, NewEvent, StoredEvent } from './event-store.js';
export { entityKey, keyBytes, murmur2, partitionOf } from './keys.js';
