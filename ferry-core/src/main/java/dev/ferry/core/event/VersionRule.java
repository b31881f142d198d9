package dev.ferry.core.event;

/**
 * How the versions of one aggregate (or entity) follow each other, and so what a version-checked write does with
 * a version it did not expect. The source decides; the rule travels with every record (the event JSON's
 * {@code versionRule} field, the {@code ce_ferryversionrule} header), so a consumer in any language knows it.
 */
public enum VersionRule {

    /**
     * Versions are 1, 2, 3, … without holes (Ferry's own commits). Version v is applied only on top of v - 1; a lower
     * or equal one is a duplicate; a higher one means an event is missing: a gap, which is parked, never applied.
     */
    CONTIGUOUS("contiguous"),

    /**
     * Versions only grow, with holes (a cluster time, a foreign store's revision). Version v is applied if it is
     * greater than the stored one; an equal or lower one is skipped as a duplicate. No gap can be detected.
     * <p>
     * Precondition: one writer order per key (e.g. a unique index on key + version, or one writer per key). A
     * writer that gives key k version 7 after 8 is already published loses 7: it is skipped as a duplicate.
     */
    INCREASING("increasing");

    private final String wireName;

    VersionRule(String wireName) {
        this.wireName = wireName;
    }

    /** The name on the wire: {@code contiguous} or {@code increasing}. */
    public String wireName() {
        return wireName;
    }

    /** @throws IllegalArgumentException naming the accepted values */
    public static VersionRule fromWireName(String name) {
        for (VersionRule rule : values()) {
            if (rule.wireName().equals(name)) {
                return rule;
            }
        }
        throw new IllegalArgumentException("versionRule must be 'contiguous' or 'increasing', was '" + name + "'");
    }
}
