package dev.ferry.engine.wire;

import java.io.IOException;
import java.io.StringWriter;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.EntityOperation;
import dev.ferry.core.event.EntityVersion;

/**
 * Reads an entity change's record value ({@link dev.ferry.core.wire.EntityJson}) back. The documents are kept as the
 * JSON they are (canonical Extended JSON), re-written compactly; unknown fields are ignored, so a newer relay's
 * additions do not stop an older replicator.
 */
public final class EntityJsonDecoder {

    private final JsonFactory json = new JsonFactory();

    /** @throws UndecodableEntityChange naming the problem, if the value is not an entity change */
    public EntityChange decode(byte[] value) {
        if (value == null) {
            throw new UndecodableEntityChange("record has no value (a tombstone)");
        }
        String entity = null;
        String id = null;
        String operation = null;
        String version = null;
        String document = null;
        String before = null;
        String database = null;
        String collection = null;
        long seconds = 0;
        long increment = 0;
        try (JsonParser parser = json.createParser(value)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new UndecodableEntityChange("value is not a JSON object");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken token = parser.nextToken();
                switch (name) {
                    case "entity" -> entity = text(parser, token, name);
                    case "id" -> id = text(parser, token, name);
                    case "operation" -> operation = text(parser, token, name);
                    case "version" -> version = text(parser, token, name);
                    case "document" -> document = object(parser, token, name);
                    case "before" -> before = object(parser, token, name);
                    case "source" -> {
                        if (token != JsonToken.START_OBJECT) {
                            throw new UndecodableEntityChange("source is not an object");
                        }
                        while (parser.nextToken() == JsonToken.FIELD_NAME) {
                            String field = parser.currentName();
                            JsonToken fieldToken = parser.nextToken();
                            if (field.equals("db")) {
                                database = text(parser, fieldToken, "source.db");
                            } else if (field.equals("collection")) {
                                collection = text(parser, fieldToken, "source.collection");
                            } else {
                                parser.skipChildren();
                            }
                        }
                    }
                    case "clusterTime" -> {
                        if (token != JsonToken.START_OBJECT) {
                            throw new UndecodableEntityChange("clusterTime is not an object");
                        }
                        while (parser.nextToken() == JsonToken.FIELD_NAME) {
                            String field = parser.currentName();
                            parser.nextToken();
                            if (field.equals("t")) {
                                seconds = parser.getLongValue();
                            } else if (field.equals("i")) {
                                increment = parser.getLongValue();
                            } else {
                                parser.skipChildren();
                            }
                        }
                    }
                    default -> parser.skipChildren();
                }
            }
        } catch (IOException e) {
            throw new UndecodableEntityChange("not valid JSON: " + e.getMessage());
        }
        try {
            return new EntityChange(required(entity, "entity"), required(id, "id"),
                EntityOperation.fromWireName(required(operation, "operation")),
                new EntityVersion(required(version, "version")), document, before, required(database, "source.db"),
                required(collection, "source.collection"), seconds, increment);
        } catch (IllegalArgumentException e) {
            throw new UndecodableEntityChange(e.getMessage());
        }
    }

    private static String text(JsonParser parser, JsonToken token, String name) throws IOException {
        if (token != JsonToken.VALUE_STRING) {
            throw new UndecodableEntityChange(name + " is not a string");
        }
        return parser.getText();
    }

    private String object(JsonParser parser, JsonToken token, String name) throws IOException {
        if (token == JsonToken.VALUE_NULL) {
            return null;
        }
        if (token != JsonToken.START_OBJECT) {
            throw new UndecodableEntityChange(name + " is not an object");
        }
        StringWriter out = new StringWriter();
        try (JsonGenerator generator = json.createGenerator(out)) {
            generator.copyCurrentStructure(parser);
        }
        return out.toString();
    }

    private static String required(String value, String name) {
        if (value == null) {
            throw new UndecodableEntityChange(name + " is missing");
        }
        return value;
    }

    /** A value that is not an entity change in Ferry's format. */
    public static final class UndecodableEntityChange extends RuntimeException {
        public UndecodableEntityChange(String message) {
            super(message, null, false, false);
        }
    }
}
