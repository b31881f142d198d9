// Ferry's Node.js client. Keys and partitions for now; appending and consuming come with issue 34.
export { entityKey, keyBytes, murmur2, partitionOf } from './keys.js';
