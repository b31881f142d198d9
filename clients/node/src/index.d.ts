export { entityKey, keyBytes, murmur2, partitionOf } from './keys.js';
