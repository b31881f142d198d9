package dev.ferry.core.event;

/**
 * The version of one entity change, as a string whose byte order is the order of the changes of one entity: a
 * consumer in any language compares two versions of one id as plain strings (JavaScript {@code <}, PostgreSQL
 * {@code COLLATE "C"}, MongoDB's string order) and applies only a greater one.
 * <ul>
 *   <li>Cluster time (the default): {@code "SSSSSSSSSS.IIIIIIIIII.PPPPPPPPPP"}, the change's cluster time (seconds,
 *   increment) and its position among the changes sharing that cluster time (those of one transaction), each as ten
 *   zero-padded decimal digits. A change read from the stream has position 1 or more (its place in its transaction,
 *   counted from 1); a document read by a copy carries the stream position noted before the copy, with position 0, so
 *   that any change streamed after it sorts after it.</li>
 *   <li>A version field of the users' own (sharded clusters): {@code "VVVVVVVVVVVVVVVVVVV"}, the field's non-negative
 *   integer as nineteen zero-padded decimal digits; a delete carries the deleted document's value followed by
 *   {@code ".d"}, which sorts after that value and before any higher one, so the delete applies on top of the
 *   document's last version and only a re-create with a higher value comes after it.</li>
 * </ul>
 */
public record EntityVersion(String wire) implements Comparable<EntityVersion> {

    private static final int DIGITS = 10;
    private static final int FIELD_DIGITS = 19;
    private static final String DELETE_SUFFIX = ".d";

    public EntityVersion {
        if (wire == null || wire.isEmpty()) {
            throw new IllegalArgumentException("an entity version cannot be empty");
        }
    }

    /**
     * @param seconds   the cluster time's seconds (an unsigned 32-bit number)
     * @param increment the cluster time's increment (an unsigned 32-bit number)
     * @param position  0 for a copied document; 1 + the index of the change within its transaction otherwise
     */
    public static EntityVersion ofClusterTime(long seconds, long increment, long position) {
        return new EntityVersion(padded(seconds, DIGITS) + "." + padded(increment, DIGITS) + "." + padded(position, DIGITS));
    }

    /** A user's version field's value. */
    public static EntityVersion ofField(long value) {
        if (value < 0) {
            throw new IllegalArgumentException("a version field must not be negative, was " + value);
        }
        return new EntityVersion(padded(value, FIELD_DIGITS));
    }

    /** The version of a delete of a document whose field held {@code value}: just after it. */
    public static EntityVersion ofFieldDelete(long value) {
        return new EntityVersion(ofField(value).wire() + DELETE_SUFFIX);
    }

    private static String padded(long value, int digits) {
        if (value < 0 || Long.toString(value).length() > digits) {
            throw new IllegalArgumentException("cannot write " + value + " in " + digits + " digits");
        }
        String text = Long.toString(value);
        return "0".repeat(digits - text.length()) + text;
    }

    @Override
    public int compareTo(EntityVersion other) {
        return wire.compareTo(other.wire);
    }

    public boolean isAfter(EntityVersion other) {
        return compareTo(other) > 0;
    }

    @Override
    public String toString() {
        return wire;
    }
}
