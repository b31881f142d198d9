package dev.ferry.embedded.mongo.internals;

import java.util.Set;

/**
 * What one change stream watches: a collection ({@code coll.watch()}), a database ({@code db.watch()}) or the whole
 * deployment ({@code client.watch()}), and which entries end it with an {@code invalidate}, as on a real server.
 */
final class ChangeStreamScope {

    /** Databases a cluster-wide stream never reports, as on a real server. */
    private static final Set<String> INTERNAL_DATABASES = Set.of("admin", "config", "local");

    private final String database;
    private final String namespace;

    private ChangeStreamScope(String database, String namespace) {
        this.database = database;
        this.namespace = namespace;
    }

    static ChangeStreamScope ofCollection(String namespace) {
        return new ChangeStreamScope(databaseOf(namespace), namespace);
    }

    static ChangeStreamScope ofDatabase(String database) {
        return new ChangeStreamScope(database, null);
    }

    static ChangeStreamScope ofCluster() {
        return new ChangeStreamScope(null, null);
    }

    /** Whether the stream reports this entry. */
    boolean watches(OplogEntry entry) {
        if (namespace != null) {
            return namespace.equals(entry.namespace());
        }
        if (database != null) {
            String entryNamespace = entry.namespace();
            return entryNamespace.startsWith(database) && (entryNamespace.length() == database.length()
                || entryNamespace.charAt(database.length()) == '.');
        }
        return !INTERNAL_DATABASES.contains(databaseOf(entry.namespace()));
    }

    /** Whether this (watched) entry ends the stream: the collection dropped or renamed, or the database dropped. */
    boolean isInvalidatedBy(OplogEntry entry) {
        return switch (entry.operation()) {
            case DROP, RENAME -> namespace != null;
            case DROP_DATABASE -> database != null;
            default -> false;
        };
    }

    /** The {@code ns} of the cursor's replies, as a real server names it. */
    String cursorNamespace() {
        if (namespace != null) {
            return namespace;
        }
        return (database != null ? database : "admin") + ".$cmd.aggregate";
    }

    static String databaseOf(String namespace) {
        int dot = namespace.indexOf('.');
        return dot < 0 ? namespace : namespace.substring(0, dot);
    }

    /** The collection part of {@code db.collection}; {@code null} for a bare database name. */
    static String collectionOf(String namespace) {
        int dot = namespace.indexOf('.');
        return dot < 0 ? null : namespace.substring(dot + 1);
    }
}
