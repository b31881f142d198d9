package dev.ferry.core.partition;

import java.util.Objects;

/**
 * Maps an aggregate type to its topic: {@code prefix + aggregateType}. Aggregate types are checked rather
 * than rewritten, so that two types can never silently share a topic.
 */
public record TopicNaming(String prefix) {

    private static final int MAX_LENGTH = 249;

    public TopicNaming {
        Objects.requireNonNull(prefix, "prefix");
        if (!prefix.isEmpty() && !isLegal(prefix)) {
            throw new IllegalArgumentException("topic prefix '" + prefix + "' may only contain A-Z a-z 0-9 . _ -");
        }
    }

    /**
     * Whether {@code name} is made only of the characters Kafka (and Event Hubs) accept in a topic name,
     * {@code [A-Za-z0-9._-]+}. A loop, not a regex: it runs for every record the relay publishes.
     */
    public static boolean isLegal(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_'
                || c == '-')) {
                return false;
            }
        }
        return true;
    }

    public String topicFor(String aggregateType) {
        checkAggregateType(aggregateType);
        return prefix + aggregateType;
    }

    /** Fails with a message naming the problem if the type cannot be part of a topic name. */
    public void checkAggregateType(String aggregateType) {
        if (aggregateType == null || !isLegal(aggregateType)) {
            throw new IllegalArgumentException("aggregate type '" + aggregateType
                + "' may only contain A-Z a-z 0-9 . _ - (it becomes part of a topic name)");
        }
        if (prefix.length() + aggregateType.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("topic name for aggregate type '" + aggregateType
                + "' would exceed " + MAX_LENGTH + " characters");
        }
    }
}
