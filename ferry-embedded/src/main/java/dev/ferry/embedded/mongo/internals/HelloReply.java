package dev.ferry.embedded.mongo.internals;

import java.util.List;

import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.bson.Document;

/**
 * The reply to {@code hello} and to the legacy {@code isMaster}: what the server claims to be, and so what drivers
 * send it. It claims MongoDB 4.4 (wire version 9), the lowest both the Java driver and the Node.js driver 7 accept,
 * and a standalone server; ferry-embedded's README lists what drivers gate on that claim and how each is met.
 */
final class HelloReply {

    /** MongoDB 4.4: the Node.js driver 7 refuses anything lower ("requires at least 9"). */
    static final MongoVersion CLAIMED_VERSION = new MongoVersion() {
        @Override
        public List<Integer> getVersionArray() {
            return List.of(4, 4, 0);
        }

        @Override
        public int getWireVersion() {
            return 9;
        }
    };

    /** What a replica set advertises; without it drivers refuse sessions (and so causal reads' operationTime). */
    static final int LOGICAL_SESSION_TIMEOUT_MINUTES = 30;

    private HelloReply() {
    }

    static boolean answers(String command) {
        return command.equalsIgnoreCase("hello") || command.equalsIgnoreCase("ismaster");
    }

    /**
     * Shapes the stock {@code isMaster} reply (limits, wire versions of {@link #CLAIMED_VERSION}, local time) into the
     * reply to {@code command}. There is no {@code topologyVersion}: drivers then poll every heartbeat instead of
     * streaming, which would need the server to hold awaitable hellos and send exhaust replies.
     */
    static Document to(String command, Document query, Document stockIsMaster) {
        Document reply = new Document();
        boolean writable = Boolean.TRUE.equals(stockIsMaster.get("ismaster"));
        // hello names the role isWritablePrimary; the legacy command keeps the name drivers of every age read
        reply.put(command.equalsIgnoreCase("hello") ? "isWritablePrimary" : "ismaster", writable);
        stockIsMaster.forEach((field, value) -> {
            if (!field.equals("ismaster") && !field.equals("ok")) {
                reply.put(field, value);
            }
        });
        reply.put("logicalSessionTimeoutMinutes", LOGICAL_SESSION_TIMEOUT_MINUTES);
        if (Boolean.TRUE.equals(query.get("helloOk"))) {
            // as MongoDB 4.4.2 and later: the client may send hello from now on, which this server answers too
            reply.put("helloOk", true);
        }
        reply.put("ok", stockIsMaster.get("ok"));
        return reply;
    }
}
