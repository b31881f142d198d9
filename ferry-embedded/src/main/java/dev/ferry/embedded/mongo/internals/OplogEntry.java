package dev.ferry.embedded.mongo.internals;

import de.bwaldvogel.mongo.bson.Document;

/**
 * One write that really happened, in commit order.
 *
 * @param timestamp         the oplog timestamp (seconds high 32 bits, increment low), unique and increasing
 * @param wallMillis        wall-clock time of the write
 * @param namespace         {@code db.collection}, or just {@code db} for a dropped database
 * @param operation         what happened
 * @param documentId        the {@code _id} of the written document ({@code null} for drops and renames)
 * @param document          snapshot of the document as written: the inserted or replacing document, else {@code null}
 * @param updateDescription {@code {updatedFields, removedFields, truncatedArrays}} of an update, else {@code null}
 * @param renamedTo         the new {@code db.collection} of a rename, else {@code null}
 */
record OplogEntry(long timestamp, long wallMillis, String namespace, ChangeOperation operation,
                  Object documentId, Document document, Document updateDescription, String renamedTo) {
}
