package dev.ferry.config;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;

import dev.ferry.core.relay.HistoryLostPolicy;

/**
 * {@code relay.historyLost}: the file's spelling ({@code fail}, {@code restart-from-now}, {@code recopy}) of the core's
 * policy.
 */
final class HistoryLostDeserializer extends StdScalarDeserializer<HistoryLostPolicy> {

    HistoryLostDeserializer() {
        super(HistoryLostPolicy.class);
    }

    @Override
    public HistoryLostPolicy deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        String text = p.currentToken().isScalarValue() ? p.getText().trim() : "";
        return switch (text) {
            case "" -> null;
            case "fail" -> HistoryLostPolicy.FAIL;
            case "restart-from-now" -> HistoryLostPolicy.RESTART_FROM_NOW;
            case "recopy" -> HistoryLostPolicy.RECOPY;
            default -> throw SettingError.invalid("", "expected 'fail', 'restart-from-now' or 'recopy', got '" + text
                + "'");
        };
    }

    @Override
    public HistoryLostPolicy getNullValue(DeserializationContext ctxt) {
        return null;
    }
}
