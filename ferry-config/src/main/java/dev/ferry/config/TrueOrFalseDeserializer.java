package dev.ferry.config;

import java.io.IOException;
import java.util.Locale;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;

/** A yes/no setting: YAML's true/false, or (as environment overrides and older files have it) yes/no, on/off. */
final class TrueOrFalseDeserializer extends StdScalarDeserializer<Boolean> {

    TrueOrFalseDeserializer() {
        super(Boolean.class);
    }

    @Override
    public Boolean deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        String text = p.currentToken().isScalarValue() ? p.getText().trim() : null;
        if (text != null && text.isEmpty()) {
            return null;
        }
        return switch (text == null ? "" : text.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw SettingError.invalid("", "expected true or false" + (text == null ? "" : ", got '" + text + "'"));
        };
    }
}
