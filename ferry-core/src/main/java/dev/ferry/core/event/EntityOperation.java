package dev.ferry.core.event;

/** What a change did to an entity, by its name on the wire. */
public enum EntityOperation {
    /** Inserted (also: read by a copy, and an upsert that inserted). */
    CREATE("create"),
    /** Updated or replaced in place. */
    UPDATE("update"),
    /** Deleted; a tombstone of the key follows it. */
    DELETE("delete");

    private final String wireName;

    EntityOperation(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /** @throws IllegalArgumentException naming the accepted values */
    public static EntityOperation fromWireName(String name) {
        for (EntityOperation operation : values()) {
            if (operation.wireName.equals(name)) {
                return operation;
            }
        }
        throw new IllegalArgumentException("operation must be create, update or delete, was '" + name + "'");
    }
}
