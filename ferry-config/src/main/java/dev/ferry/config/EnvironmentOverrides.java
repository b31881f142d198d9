package dev.ferry.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * 12-factor overrides: {@code FERRY_SECTION_SOME_KEY} sets {@code section.someKey} of a fixed section,
 * {@code FERRY_TRANSPORT} the transport, {@code FERRY_STARTUP_TIMEOUT} the start-up timeout. A list setting takes a comma-separated value; {@code kafka.properties} and
 * the sources (lists of mappings) are set in the file, where {@code ${VAR}} references reach the environment.
 */
final class EnvironmentOverrides {

    /** The file's settings that the current shape moved; still overridable by their old variable. */
    private static final Map<String, String> LEGACY = Map.of("mongodb", LegacyShape.EVENTS_COLLECTION);

    /** The top-level settings that are single values, by the variable that overrides each. */
    private static final Map<String, String> TOP_LEVEL = Map.of("FERRY_TRANSPORT", "transport",
        "FERRY_STARTUP_TIMEOUT", "startupTimeout");

    private final Map<String, String> environment;
    private final ObjectMapper mapper;

    EnvironmentOverrides(Map<String, String> environment, ObjectMapper mapper) {
        this.environment = environment;
        this.mapper = mapper;
    }

    static String variableFor(String section, String key) {
        return "FERRY_" + section.toUpperCase(Locale.ROOT) + "_"
            + key.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
    }

    /**
     * Every setting an environment variable overrides, {@code kafka.partitions} or {@code transport}, and its
     * variable: what the configuration reference lists.
     */
    static Map<String, String> variables(ObjectMapper mapper) {
        Map<String, String> variables = new LinkedHashMap<>();
        TOP_LEVEL.forEach((variable, key) -> variables.put(key, variable));
        sectionKeys(mapper).forEach(key -> variables.put(key.section() + "." + key.name(), key.variable()));
        return variables;
    }

    void apply(ObjectNode root) {
        TOP_LEVEL.forEach((variable, key) -> {
            String value = environment.get(variable);
            if (value != null) {
                root.put(key, value);
            }
        });
        for (SectionKey key : sectionKeys(mapper)) {
            String value = environment.get(key.variable());
            JsonNode existing = root.get(key.section());
            if (value == null || (existing != null && !existing.isObject() && !existing.isNull())) {
                continue; // a section that is not a mapping is reported by the binding, naming the file's mistake
            }
            ObjectNode target = existing != null && existing.isObject() ? (ObjectNode) existing
                : root.putObject(key.section());
            if (key.type().isCollectionLikeType()) {
                ArrayNode list = target.putArray(key.name());
                Arrays.stream(value.split(",")).map(String::trim).forEach(list::add);
            } else {
                target.put(key.name(), value);
            }
        }
    }

    /** A fixed section's setting that a variable overrides: a single value or a list, never a mapping. */
    private record SectionKey(String section, String name, JavaType type) {

        String variable() {
            return variableFor(section, name);
        }
    }

    private static List<SectionKey> sectionKeys(ObjectMapper mapper) {
        List<SectionKey> keys = new ArrayList<>();
        sections(mapper).forEach((section, type) -> {
            for (BeanPropertyDefinition property : mapper.getDeserializationConfig().introspect(type).findProperties()) {
                if (!property.getPrimaryType().isMapLikeType()) {
                    keys.add(new SectionKey(section, property.getName(), property.getPrimaryType()));
                }
            }
            if (LEGACY.containsKey(section)) {
                keys.add(new SectionKey(section, LEGACY.get(section), mapper.constructType(String.class)));
            }
        });
        return keys;
    }

    /** The fixed sections: the top-level settings that are mappings of settings. */
    private static Map<String, JavaType> sections(ObjectMapper mapper) {
        Map<String, JavaType> sections = new LinkedHashMap<>();
        for (BeanPropertyDefinition property : mapper.getDeserializationConfig()
            .introspect(mapper.constructType(FerryConfig.class)).findProperties()) {
            JavaType type = property.getPrimaryType();
            if (type.isRecordType()) {
                sections.put(property.getName(), type);
            }
        }
        return sections;
    }
}
