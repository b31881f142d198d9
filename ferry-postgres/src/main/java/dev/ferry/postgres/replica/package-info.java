/**
 * Entity replicas in PostgreSQL ({@link dev.ferry.postgres.replica.PostgresReplicaWriter}): a table per entity,
 * written conditionally by version so it never goes back in time.
 * <h2>Table layout</h2>
 * <pre>
 * id         text PRIMARY KEY          -- the change's id: an ObjectId as hex, a string as it is, else canonical Extended JSON
 * version    text COLLATE "C" NOT NULL -- the change's version; byte order is change order
 * document   jsonb                     -- the document after the change; NULL in a tombstone
 * deleted_at timestamptz               -- NULL for a live row; when the tombstone was written
 * [mapped columns]                     -- configured: name, document field, SQL type; NULL in a tombstone
 * </pre>
 * <h2>Type mapping: what "exact" means here</h2>
 * {@code document} is the change's document in <b>canonical Extended JSON</b>, stored as {@code jsonb}. A replica row is
 * exact when {@code document = CAST(:sourceCanonicalExtendedJson AS jsonb)}: every BSON type survives as its
 * canonical wrapper, so nothing is lost and a consumer can rebuild the BSON document.
 * <ul>
 *   <li>string, boolean, null, object, array: the JSON value of the same kind (key order and duplicate keys are
 *   jsonb's: keys sorted, the last duplicate kept — BSON documents with duplicate keys are not exact);</li>
 *   <li>Int32 {@code {"$numberInt":"7"}}, Int64 {@code {"$numberLong":"7"}}, Double {@code {"$numberDouble":"7.0"}},
 *   Decimal128 {@code {"$numberDecimal":"7.10"}}: the wrapper object, the number as a string (no precision lost);</li>
 *   <li>ObjectId {@code {"$oid":"…"}}, Date {@code {"$date":{"$numberLong":"<ms>"}}}, Binary
 *   {@code {"$binary":{"base64":…,"subType":…}}}, Timestamp, Regex, MinKey/MaxKey, …: their canonical wrappers.</li>
 * </ul>
 * Read a field in SQL with the wrapper in mind: {@code (document->'visits'->>'$numberLong')::bigint}; or map it to a
 * column. <b>Mapped columns</b> take the field's value as text and cast it to the configured type: a plain JSON value
 * as its text, a number wrapper as its number's text, an ObjectId as its hex, a date as its ISO-8601 instant in UTC,
 * anything else (a nested document, an array, a binary) as its Extended JSON text, a missing field as NULL — see
 * {@link dev.ferry.postgres.replica.DocumentFields}.
 * <h2>Tombstones</h2>
 * A delete keeps the row with its version and {@code deleted_at}; an older create or update arriving later is below
 * that version and changes nothing. A later create (higher version) revives the row. Tombstones older than the
 * configured retention are removed by {@code purgeTombstones()}: set it to at least the topic's retention.
 */
package dev.ferry.postgres.replica;
