package dev.ferry.core.partition;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Maps an aggregate type to its topic: {@code prefix + aggregateType}. Aggregate types are checked rather
 * than rewritten, so that two types can never silently share a topic.
 */
public record TopicNaming(String prefix) {

    /** Characters Kafka (and NATS subjects, and Event Hubs) accept in a topic name. */
    private static final Pattern LEGAL = Pattern.compile("[A-Za-z0-9._-]+");
    private static final int MAX_LENGTH = 249;

    public TopicNaming {
        Objects.requireNonNull(prefix, "prefix");
        if (!prefix.isEmpty() && !LEGAL.matcher(prefix).matches()) {
            throw new IllegalArgumentException("topic prefix '" + prefix + "' may only contain A-Z a-z 0-9 . _ -");
        }
    }

    public String topicFor(String aggregateType) {
        checkAggregateType(aggregateType);
        return prefix + aggregateType;
    }

    /** Fails with a message naming the problem if the type cannot be part of a topic name. */
    public void checkAggregateType(String aggregateType) {
        if (aggregateType == null || !LEGAL.matcher(aggregateType).matches()) {
            throw new IllegalArgumentException("aggregate type '" + aggregateType
                + "' may only contain A-Z a-z 0-9 . _ - (it becomes part of a topic name)");
        }
        if (prefix.length() + aggregateType.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("topic name for aggregate type '" + aggregateType
                + "' would exceed " + MAX_LENGTH + " characters");
        }
    }
}
