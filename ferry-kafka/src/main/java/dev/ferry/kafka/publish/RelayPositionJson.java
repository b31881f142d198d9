package dev.ferry.kafka.publish;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import dev.ferry.core.relay.spi.CheckpointStore.Checkpoint;
import dev.ferry.core.relay.spi.CheckpointStore.CopyProgress;
import dev.ferry.core.relay.spi.ResumeToken;

/**
 * A relay's position as the value of its record in the positions topic (exactly-once mode): JSON, readable with any
 * console consumer, the same fields as the checkpoint in MongoDB —
 * {@code {"token":…,"sequence":…,"epoch":…,"savedAt":"…Z","copies":{source:{"position":…,"copied":…,"complete":…,
 * "notedAt":…|null}}}} (copies by source name). A public format: change it only with a migration.
 */
final class RelayPositionJson {

    private static final JsonFactory JSON = new JsonFactory();

    private RelayPositionJson() {
    }

    static byte[] encode(Checkpoint checkpoint) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        try (JsonGenerator out = JSON.createGenerator(bytes)) {
            out.writeStartObject();
            out.writeStringField("token", checkpoint.token().value());
            out.writeNumberField("sequence", checkpoint.sequence());
            out.writeNumberField("epoch", checkpoint.epoch());
            out.writeStringField("savedAt", checkpoint.savedAt().toString());
            out.writeObjectFieldStart("copies");
            for (Map.Entry<String, CopyProgress> copy : new TreeMap<>(checkpoint.copies()).entrySet()) { // stable bytes
                CopyProgress progress = copy.getValue();
                out.writeObjectFieldStart(copy.getKey());
                out.writeStringField("position", progress.position());
                out.writeNumberField("copied", progress.copied());
                out.writeBooleanField("complete", progress.complete());
                out.writeStringField("notedAt", progress.notedAt() == null ? null : progress.notedAt().value());
                out.writeEndObject();
            }
            out.writeEndObject();
            out.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** @throws IllegalArgumentException naming what is wrong, if {@code value} is not a position */
    static Checkpoint decode(byte[] value) {
        try (JsonParser in = JSON.createParser(value)) {
            expect(in.nextToken(), JsonToken.START_OBJECT, "the position");
            String token = null;
            Long sequence = null;
            Long epoch = null;
            Instant savedAt = null;
            Map<String, CopyProgress> copies = new LinkedHashMap<>();
            while (in.nextToken() == JsonToken.FIELD_NAME) {
                String field = in.currentName();
                JsonToken next = in.nextToken();
                switch (field) {
                    case "token" -> token = in.getValueAsString();
                    case "sequence" -> sequence = in.getLongValue();
                    case "epoch" -> epoch = in.getLongValue();
                    case "savedAt" -> savedAt = Instant.parse(in.getText());
                    case "copies" -> {
                        expect(next, JsonToken.START_OBJECT, "copies");
                        while (in.nextToken() == JsonToken.FIELD_NAME) {
                            String source = in.currentName();
                            expect(in.nextToken(), JsonToken.START_OBJECT, "copies." + source);
                            copies.put(source, copy(in, source));
                        }
                    }
                    default -> in.skipChildren(); // a field a later version adds
                }
            }
            if (token == null || sequence == null || epoch == null || savedAt == null) {
                throw new IllegalArgumentException("a relay position needs token, sequence, epoch and savedAt: "
                    + new String(value, java.nio.charset.StandardCharsets.UTF_8));
            }
            return new Checkpoint(new ResumeToken(token), copies, sequence, epoch, savedAt);
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalArgumentException refused) {
                throw refused;
            }
            throw new IllegalArgumentException("not a relay position: " + e.getMessage(), e);
        }
    }

    private static CopyProgress copy(JsonParser in, String source) throws IOException {
        String position = null;
        long copied = 0;
        boolean complete = false;
        String notedAt = null;
        while (in.nextToken() == JsonToken.FIELD_NAME) {
            String field = in.currentName();
            in.nextToken();
            switch (field) {
                case "position" -> position = in.getValueAsString();
                case "copied" -> copied = in.getLongValue();
                case "complete" -> complete = in.getBooleanValue();
                case "notedAt" -> notedAt = in.getValueAsString();
                default -> in.skipChildren();
            }
        }
        if (position == null) {
            throw new IllegalArgumentException("the copy of " + source + " in a relay position has no position");
        }
        return new CopyProgress(position, copied, complete, notedAt == null ? null : new ResumeToken(notedAt));
    }

    private static void expect(JsonToken actual, JsonToken expected, String what) {
        if (actual != expected) {
            throw new IllegalArgumentException(what + ": expected " + expected + ", found " + actual);
        }
    }
}
