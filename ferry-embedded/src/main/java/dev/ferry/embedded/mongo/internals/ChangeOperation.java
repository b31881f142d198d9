package dev.ferry.embedded.mongo.internals;

/** The change-stream {@code operationType} of an oplog entry, as a real MongoDB names it. */
enum ChangeOperation {
    INSERT("insert", "i"),
    UPDATE("update", "u"),
    REPLACE("replace", "u"),
    DELETE("delete", "d"),
    DROP("drop", "c"),
    RENAME("rename", "c"),
    DROP_DATABASE("dropDatabase", "c");

    private final String operationType;
    private final String oplogCode;

    ChangeOperation(String operationType, String oplogCode) {
        this.operationType = operationType;
        this.oplogCode = oplogCode;
    }

    /** The {@code op} of a replica set's oplog entry: insert, update, delete or command. */
    String oplogCode() {
        return oplogCode;
    }

    String operationType() {
        return operationType;
    }
}
