package dev.ferry.mongodb.mapping;

import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

import dev.ferry.core.event.VersionRule;

/**
 * Where the parts of Ferry's event are in a document of an event store in the users' own schema (one document per
 * event). Field paths are dotted ({@code meta.correlationId}).
 *
 * @param aggregateType   the type: a constant, a field, or derived together with the id from one field
 * @param aggregateIdPath the id's field; null when {@code aggregateType} derives the id too
 * @param versionPath     the version's field: an integer (int32 or int64, as a JavaScript driver writes it, or an
 *                        integral double)
 * @param versionBase     what the store's first version is: 0 or 1; Ferry's versions start at 1
 * @param versionRule     how the store's versions follow each other
 * @param eventTypePath   the event type's field
 * @param eventIdPath     the event id's field ({@code _id} by default): a string, an ObjectId (as hex) or an integer
 * @param timestampPath   the timestamp's field (a date or an ISO-8601 string); null: the creation time of an
 *                        ObjectId {@code _id}, the same whether the event is read by the stream or by a copy
 * @param payloadPath     the payload's field (a document); null: the document less the mapped fields
 * @param metadataPaths   {@code correlationId} and/or {@code causationId} to their fields
 */
public record EventMapping(AggregateType aggregateType, String aggregateIdPath, String versionPath, int versionBase,
                           VersionRule versionRule, String eventTypePath, String eventIdPath, String timestampPath,
                           String payloadPath, Map<String, String> metadataPaths) {

    public EventMapping {
        Objects.requireNonNull(aggregateType, "aggregateType");
        Objects.requireNonNull(versionPath, "versionPath");
        Objects.requireNonNull(versionRule, "versionRule");
        Objects.requireNonNull(eventTypePath, "eventTypePath");
        eventIdPath = eventIdPath == null ? "_id" : eventIdPath;
        metadataPaths = Map.copyOf(metadataPaths);
        if (versionBase != 0 && versionBase != 1) {
            throw new IllegalArgumentException("versionBase must be 0 or 1, was " + versionBase);
        }
        if ((aggregateIdPath == null) != (aggregateType instanceof AggregateType.Derived)) {
            throw new IllegalArgumentException("the aggregate id needs a field of its own unless the type is derived "
                + "together with it from one field");
        }
        for (String key : metadataPaths.keySet()) {
            if (!key.equals("correlationId") && !key.equals("causationId")) {
                throw new IllegalArgumentException("metadata maps correlationId and causationId, not '" + key + "'");
            }
        }
    }

    /** Where a document's aggregate type comes from. */
    public sealed interface AggregateType {

        /** Every document of the collection is of this type. */
        record Constant(String type) implements AggregateType {
            public Constant {
                Objects.requireNonNull(type, "type");
            }
        }

        /** The type is a field's value. */
        record Field(String path) implements AggregateType {
            public Field {
                Objects.requireNonNull(path, "path");
            }
        }

        /**
         * Type and id from one field such as {@code streamId: "patient-123"}: split at the first {@code separator},
         * or matched by a regex with the named groups {@code type} and {@code id}.
         */
        record Derived(String path, Pattern pattern) implements AggregateType {
            public Derived {
                Objects.requireNonNull(path, "path");
                Objects.requireNonNull(pattern, "pattern");
                if (!pattern.pattern().contains("(?<type>") || !pattern.pattern().contains("(?<id>")) {
                    throw new IllegalArgumentException("the pattern for " + path
                        + " needs the named groups (?<type>…) and (?<id>…), got " + pattern.pattern());
                }
            }

            /**
             * Split at the first {@code separator}: what comes before is the type (not empty, so a value starting with
             * the separator does not split), the rest the id.
             */
            public static Derived bySeparator(String path, String separator) {
                String quoted = Pattern.quote(separator);
                return new Derived(path, Pattern.compile("^(?<type>(?:(?!" + quoted + ").)+)" + quoted + "(?<id>.+)$",
                    Pattern.DOTALL));
            }
        }
    }
}
