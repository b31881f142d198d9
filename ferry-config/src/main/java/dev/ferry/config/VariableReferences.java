package dev.ferry.config;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

/** Replaces {@code ${NAME}} in every value by the environment variable, so that secrets stay out of the file. */
final class VariableReferences {

    private static final Pattern REFERENCE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

    private final Map<String, String> environment;

    VariableReferences(Map<String, String> environment) {
        this.environment = environment;
    }

    void resolve(ObjectNode root) {
        resolve(root, "");
    }

    private void resolve(JsonNode node, String path) {
        if (node instanceof ObjectNode object) {
            for (Map.Entry<String, JsonNode> field : object.properties()) {
                String key = path.isEmpty() ? field.getKey() : path + "." + field.getKey();
                if (field.getValue().isTextual()) {
                    field.setValue(TextNode.valueOf(resolve(key, field.getValue().asText())));
                } else {
                    resolve(field.getValue(), key);
                }
            }
        } else if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                if (array.get(i).isTextual()) {
                    // a list of names is one setting: errors name the list, as they always have
                    array.set(i, TextNode.valueOf(resolve(path, array.get(i).asText())));
                } else {
                    resolve(array.get(i), path + "[" + i + "]");
                }
            }
        }
    }

    private String resolve(String key, String value) {
        Matcher matcher = REFERENCE.matcher(value);
        StringBuilder resolved = new StringBuilder();
        while (matcher.find()) {
            String variable = environment.get(matcher.group(1));
            if (variable == null) {
                throw new ConfigError(key + ": refers to environment variable " + matcher.group(1) + ", which is not set");
            }
            matcher.appendReplacement(resolved, Matcher.quoteReplacement(variable));
        }
        matcher.appendTail(resolved);
        return resolved.toString();
    }
}
