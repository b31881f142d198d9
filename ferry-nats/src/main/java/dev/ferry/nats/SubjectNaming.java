package dev.ferry.nats;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.ferry.core.partition.KeyPartitioner;
import dev.ferry.core.partition.TopicNaming;

/**
 * Subjects of a Ferry stream: {@code <stream>.<type>.<partition>}, the partition being Kafka's for the same key
 * ({@link KeyPartitioner}), so an aggregate has one partition number on both transports. A type must be one subject
 * token; malformed documents go to {@code <stream>.dead-letter}, which no partition's subject can be.
 */
public record SubjectNaming(String stream, int partitions) {

    /** A subject token Ferry accepts: no {@code .}, {@code *}, {@code >} or white space, and a stream name too. */
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_-]+");

    public SubjectNaming {
        if (stream == null || !TOKEN.matcher(stream).matches()) {
            throw new IllegalArgumentException("NATS stream name '" + stream + "' may only contain A-Z a-z 0-9 _ - "
                + "(it is the subjects' first token)");
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, was " + partitions);
        }
    }

    /** Fails with a message naming the problem if the type cannot be one subject token. */
    public static void checkType(String aggregateType) {
        if (aggregateType == null || aggregateType.indexOf('.') >= 0 || !TopicNaming.isLegal(aggregateType)) {
            throw new IllegalArgumentException("aggregate type '" + aggregateType + "' may only contain A-Z a-z 0-9 _ - "
                + "on NATS (it becomes one subject token: no '.', '*' or '>')");
        }
    }

    public String subject(String aggregateType, int partition) {
        checkType(aggregateType);
        return stream + "." + aggregateType + "." + partition;
    }

    public String subjectForKey(String aggregateType, String key) {
        return subject(aggregateType, KeyPartitioner.partitionOf(key, partitions));
    }

    /** Everything the stream holds. */
    public String all() {
        return stream + ".>";
    }

    public String deadLetter() {
        return stream + ".dead-letter";
    }

    /** The type and partition of a partition's subject, if it is one. */
    public Optional<TypePartition> parse(String subject) {
        Matcher matcher = Pattern.compile(Pattern.quote(stream) + "\\.([A-Za-z0-9_-]+)\\.(\\d+)").matcher(subject);
        return matcher.matches() ? Optional.of(new TypePartition(matcher.group(1), Integer.parseInt(matcher.group(2))))
            : Optional.empty();
    }

    /** One partition of one type. */
    public record TypePartition(String type, int partition) {
    }
}
