package dev.ferry.mongodb.mapping;

/** A document that cannot be read as an event under its source's mapping: names the field and why. */
public final class UnmappableDocument extends RuntimeException {

    public UnmappableDocument(String field, String reason) {
        super("field '" + field + "': " + reason, null, false, false);
    }
}
