// Ferry's Node.js client: appending commits by the commit contract, keys and partitions as Ferry computes them.
// Consuming in order comes with issue 34.
export { ConcurrencyConflict, EventTooLarge, MalformedCommit } from './errors.js';
export { EventStore } from './event-store.js';
export { entityKey, keyBytes, murmur2, partitionOf } from './keys.js';
