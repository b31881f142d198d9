package dev.ferry.it.contract;

import java.util.List;

/**
 * One append a racing appender tried, as it saw it: stored (with the versions it got) or refused as a conflict.
 *
 * @param id              the writer's name and the attempt's number, also in the payload of every event it stored
 * @param writer          which appender, e.g. {@code java-1} or {@code node-2}
 * @param expectedVersion the aggregate's version the appender read just before
 * @param versions        the versions stored, empty for a conflict
 */
record AppendAttempt(String id, String writer, String aggregateId, long expectedVersion, boolean conflict,
                     List<Long> versions) {

    AppendAttempt {
        versions = List.copyOf(versions);
    }

    static AppendAttempt appended(String id, String writer, String aggregateId, long expectedVersion,
                                  List<Long> versions) {
        return new AppendAttempt(id, writer, aggregateId, expectedVersion, false, versions);
    }

    static AppendAttempt conflicted(String id, String writer, String aggregateId, long expectedVersion) {
        return new AppendAttempt(id, writer, aggregateId, expectedVersion, true, List.of());
    }

    boolean byNode() {
        return writer.startsWith("node-");
    }
}
