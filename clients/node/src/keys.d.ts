/**
 * The key of an entity whose `_id` is `id`, exactly as Ferry computes it (contracts/keys.md): an ObjectId is its 24
 * lowercase hex digits, a string is itself, anything else is its canonical Extended JSON as the MongoDB Java driver
 * prints it on Java 17 (`{"$numberInt": "42"}`, with a space after the colon).
 *
 * `id` is a value as the Node driver takes it (ObjectId, string, Int32, Long, Double, Decimal128, Date, Timestamp,
 * Binary/UUID, a document as a plain object or — to keep integer-like field names in order — a Map, MinKey, MaxKey,
 * BSONSymbol, Code, null). A `number` is an int32 when it is an integer in int32 range (and not -0), else a double;
 * a `bigint` is an int64.
 *
 * @throws TypeError for `undefined`, arrays and regular expressions (MongoDB refuses them as an `_id`)
 */
export function entityKey(id: unknown): string;

/**
 * The partition, `0..partitions-1`, of a record with this key: Kafka's default partitioner
 * (`(murmur2(utf8(key)) & 0x7fffffff) % partitions`), which Ferry uses on Kafka and on NATS. An event's key is its
 * aggregate id.
 *
 * @throws RangeError if `partitions` is not an integer of at least 1
 */
export function partitionOf(key: string, partitions: number): number;

/** A key's bytes on the wire (a Kafka record key): its UTF-8 encoding. */
export function keyBytes(key: string): Uint8Array;

/** Kafka's 32-bit murmur2 (seed 0x9747b28c) as a signed 32-bit integer. */
export function murmur2(data: Uint8Array): number;
