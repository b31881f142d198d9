package dev.ferry.embedded.mongo.internals;

import java.util.List;
import java.util.Locale;
import java.util.Set;

import de.bwaldvogel.mongo.bson.Document;

/**
 * Where a command runs on the embedded server, and whether it runs alone.
 * <p>
 * The memory backend's collections are not safe for concurrent use, and the oplog is in commit order only if the
 * writes of one collection are applied one at a time. So every command runs on one of two single-threaded lanes: the
 * <em>small</em> lane takes the commands of a few named collections (Ferry's leases, whose renewals must never wait
 * behind bulk work, as on a real server whose locks are per document) and the commands that touch no collection
 * (hello, ping); the <em>main</em> lane takes all others. Commands that change or list what collections exist, or read
 * several collections, run {@linkplain #exclusive() alone}: the small lane is idle meanwhile.
 *
 * @param small     runs on the small lane
 * @param exclusive runs while no command of the other lane runs
 */
record CommandRoute(boolean small, boolean exclusive) {

    static final CommandRoute SMALL = new CommandRoute(true, false);
    static final CommandRoute MAIN = new CommandRoute(false, false);
    static final CommandRoute ALONE = new CommandRoute(false, true);

    /** Commands that read or write no collection. */
    private static final Set<String> NO_COLLECTION = Set.of("hello", "ismaster", "ping", "buildinfo", "getparameter",
        "whatsmyuri", "endsessions", "getlog", "hostinfo", "getcmdlineopts", "connectionstatus",
        "getfreemonitoringstatus", "features", "logout");
    /** Commands that read or write the one collection they name (getMore: the one its cursor reads). */
    private static final Set<String> ONE_COLLECTION = Set.of("find", "insert", "update", "delete", "findandmodify",
        "count", "distinct", "getmore", "aggregate");
    /** Aggregation stages that read or write a collection besides the one aggregated ($facet: may hold such stages). */
    private static final Set<String> OTHER_COLLECTION_STAGES = Set.of("$lookup", "$graphLookup", "$unionWith", "$out",
        "$merge", "$facet");

    /**
     * @param command          the command's name, its document's first key
     * @param query            the command document
     * @param smallCollections names of the collections whose commands take the small lane
     */
    static CommandRoute of(String command, Document query, Set<String> smallCollections) {
        String name = command.toLowerCase(Locale.ROOT);
        if (NO_COLLECTION.contains(name)) {
            return SMALL;
        }
        if (name.equals("killcursors")) {
            return MAIN; // the cursor registry is safe for concurrent use
        }
        if (!ONE_COLLECTION.contains(name)) {
            return ALONE;
        }
        if (name.equals("aggregate") && query.get("pipeline") instanceof List<?> stages) {
            if (!stages.isEmpty() && stages.get(0) instanceof Document first && first.containsKey("$changeStream")) {
                return MAIN; // reads the oplog; looks documents up on their own lane
            }
            for (Object stage : stages) {
                if (stage instanceof Document operator && operator.keySet().stream().anyMatch(OTHER_COLLECTION_STAGES::contains)) {
                    return ALONE;
                }
            }
        }
        Object collection = name.equals("getmore") ? query.get("collection") : query.get(command);
        if (collection instanceof String named && named.startsWith("system.")) {
            return ALONE; // the database's bookkeeping, which creating a collection on either lane writes
        }
        return collection instanceof String named && smallCollections.contains(named) ? SMALL : MAIN;
    }
}
