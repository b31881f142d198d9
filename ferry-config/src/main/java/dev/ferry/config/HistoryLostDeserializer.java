package dev.ferry.config;

import java.io.IOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;

import dev.ferry.core.relay.HistoryLostPolicy;

/**
 * {@code relay.historyLost}: the file's spelling ({@code fail}, {@code restart-from-now}, {@code recopy}) of the core's
 * policy.
 */
final class HistoryLostDeserializer extends StdScalarDeserializer<HistoryLostPolicy> {

    /** Each policy by its spelling, in the order the documentation gives them. */
    static final Map<String, HistoryLostPolicy> SPELLINGS = spellings();

    HistoryLostDeserializer() {
        super(HistoryLostPolicy.class);
    }

    @Override
    public HistoryLostPolicy deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        String text = p.currentToken().isScalarValue() ? p.getText().trim() : "";
        if (text.isEmpty()) {
            return null;
        }
        HistoryLostPolicy policy = SPELLINGS.get(text);
        if (policy == null) {
            throw SettingError.invalid("", "expected 'fail', 'restart-from-now' or 'recopy', got '" + text + "'");
        }
        return policy;
    }

    private static Map<String, HistoryLostPolicy> spellings() {
        Map<String, HistoryLostPolicy> spellings = new LinkedHashMap<>();
        spellings.put("fail", HistoryLostPolicy.FAIL);
        spellings.put("restart-from-now", HistoryLostPolicy.RESTART_FROM_NOW);
        spellings.put("recopy", HistoryLostPolicy.RECOPY);
        return Collections.unmodifiableMap(spellings);
    }

    @Override
    public HistoryLostPolicy getNullValue(DeserializationContext ctxt) {
        return null;
    }
}
