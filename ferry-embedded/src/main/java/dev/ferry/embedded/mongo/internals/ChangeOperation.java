package dev.ferry.embedded.mongo.internals;

/** The change-stream {@code operationType} of an oplog entry, as a real MongoDB names it. */
enum ChangeOperation {
    INSERT("insert"),
    UPDATE("update"),
    REPLACE("replace"),
    DELETE("delete"),
    DROP("drop"),
    RENAME("rename"),
    DROP_DATABASE("dropDatabase");

    private final String operationType;

    ChangeOperation(String operationType) {
        this.operationType = operationType;
    }

    String operationType() {
        return operationType;
    }
}
