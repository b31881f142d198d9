/**
 * Entity replicas in MongoDB ({@link dev.ferry.mongodb.replica.MongoReplicaWriter}): BSON-equal copies of the source
 * documents plus one {@code _ferry} field holding the version, written conditionally so they never go back in time;
 * and {@link dev.ferry.mongodb.replica.MongoReplicaHistory}, a change stream on a replica that logs every write
 * independently of the writer.
 */
package dev.ferry.mongodb.replica;
