package dev.ferry.config;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.BeanProperty;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.deser.ContextualDeserializer;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;

/** Reads a {@link WholeNumber}: a YAML integer or text holding one; anything else names the expected range. */
final class WholeNumberDeserializer extends StdScalarDeserializer<Integer> implements ContextualDeserializer {

    private final WholeNumber range;

    WholeNumberDeserializer() {
        this(null);
    }

    private WholeNumberDeserializer(WholeNumber range) {
        super(Integer.class);
        this.range = range;
    }

    @Override
    public JsonDeserializer<?> createContextual(DeserializationContext ctxt, BeanProperty property) {
        return new WholeNumberDeserializer(property == null ? null : property.getAnnotation(WholeNumber.class));
    }

    @Override
    public Integer deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_NUMBER_INT && p.getNumberType() == JsonParser.NumberType.INT) {
            return p.getIntValue();
        }
        String text = p.currentToken().isScalarValue() ? p.getText().trim() : null;
        if (text != null && text.isEmpty()) {
            return null;
        }
        if (text != null && text.matches("[+-]?\\d{1,9}")) {
            return Integer.parseInt(text);
        }
        String expected = range == null ? "expected a whole number" : SettingValues.wholeNumberFrom(range.min(), range.max());
        throw SettingError.invalid("", expected + (text == null ? "" : ", got '" + text + "'"));
    }
}
