// MongoDB's duplicate-key refusal, as both the event store (a lost race for a version) and the read model (a document
// another writer created) read it.

const DUPLICATE_KEY = new Set([11000, 11001]);

/**
 * Whether the write failed on a unique index. The code is an Int32, not a number, when the client was made with
 * promoteValues: false: the driver decodes the server's reply with the client's options.
 */
export function isDuplicateKey(error) {
  return DUPLICATE_KEY.has(Number(error?.code)) || error?.codeName === 'DuplicateKey';
}
