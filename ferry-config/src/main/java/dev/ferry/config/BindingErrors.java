package dev.ferry.config;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import java.util.Iterator;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;

/** Turns what Jackson says about a file into one line naming the key ({@code sources[1].collection}) and what is expected. */
final class BindingErrors {

    private final ObjectMapper mapper;
    private final JsonNode root;

    /** @param root the file as bound, to look for misspelt keys */
    BindingErrors(ObjectMapper mapper, JsonNode root) {
        this.mapper = mapper;
        this.root = root;
    }

    ConfigError translate(JsonMappingException e) {
        String path = path(e.getPath());
        // Jackson reports unknown keys of a record only after building it; a misspelt key often is why it failed.
        if (e instanceof ValueInstantiationException failed) {
            ConfigError unknown = unknownKeyIn(node(e.getPath()), failed.getType(), path);
            if (unknown != null) {
                return unknown;
            }
        }
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof SettingError setting) {
                return setting.under(path);
            }
            if (cause instanceof ConfigError config) {
                return config;
            }
        }
        if (e instanceof UnrecognizedPropertyException unknown) {
            return unknownSetting(unknown);
        }
        if (e instanceof InvalidTypeIdException kind) {
            String key = path + ".kind";
            List<String> kinds = path.startsWith("targets") ? TargetConfig.KINDS : SourceConfig.KINDS;
            return kind.getTypeId() == null
                ? SettingError.missing(key, "one of " + kinds)
                : SettingError.invalid(key, "expected one of " + kinds + ", got '" + kind.getTypeId() + "'");
        }
        if (e instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null) {
            return SettingError.invalid(path, "expected " + shapeOf(mismatch.getTargetType(), path));
        }
        String message = e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage();
        return SettingError.invalid(path, message.lines().findFirst().orElse(message));
    }

    private static ConfigError unknownSetting(UnrecognizedPropertyException e) {
        List<JsonMappingException.Reference> references = e.getPath();
        TreeSet<String> known = new TreeSet<>();
        e.getKnownPropertyIds().forEach(id -> known.add(String.valueOf(id)));
        return unknownSetting(path(references.subList(0, references.size() - 1)), e.getPropertyName(), known,
            e.getReferringClass());
    }

    private static ConfigError unknownSetting(String parent, String key, TreeSet<String> known, Class<?> type) {
        if (parent.isEmpty()) {
            return new ConfigError("unknown section '" + key + "'; expected one of " + known);
        }
        if (type != null && (SourceConfig.class.isAssignableFrom(type) || TargetConfig.class.isAssignableFrom(type))) {
            known.add("kind");
        }
        return new ConfigError("unknown setting '" + parent + "." + key + "'; " + parent + " has " + known);
    }

    private ConfigError unknownKeyIn(JsonNode node, JavaType type, String path) {
        if (node == null || !node.isObject() || type == null) {
            return null;
        }
        TreeSet<String> known = new TreeSet<>();
        for (BeanPropertyDefinition property : mapper.getDeserializationConfig().introspect(type).findProperties()) {
            known.add(property.getName());
        }
        for (Iterator<String> keys = node.fieldNames(); keys.hasNext(); ) {
            String key = keys.next();
            if (!known.contains(key) && !(key.equals("kind") && (SourceConfig.class.isAssignableFrom(type.getRawClass())
                || TargetConfig.class.isAssignableFrom(type.getRawClass())))) {
                return unknownSetting(path, key, known, type.getRawClass());
            }
        }
        return null;
    }

    private JsonNode node(List<JsonMappingException.Reference> references) {
        JsonNode node = root;
        for (JsonMappingException.Reference reference : references) {
            node = node == null ? null : reference.getFieldName() != null ? node.get(reference.getFieldName())
                : node.get(reference.getIndex());
        }
        return node;
    }

    private static String shapeOf(Class<?> type, String path) {
        if (Collection.class.isAssignableFrom(type)) {
            return path.equals("sources") ? "a list of sources, e.g. [{kind: commits, collection: events}]"
                : path.endsWith("]") ? "a list" : "a list, e.g. [patient, practitioner]";
        }
        if (Map.class.isAssignableFrom(type)) {
            return "a mapping of Kafka client settings";
        }
        if (type.isRecord() || type.isInterface()) {
            return "a mapping of settings";
        }
        return "a single value";
    }

    /** {@code kafka.partitions}, {@code sources[1].collection}. */
    static String path(List<JsonMappingException.Reference> references) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference reference : references) {
            if (reference.getFieldName() != null) {
                path.append(path.length() == 0 ? "" : ".").append(reference.getFieldName());
            } else if (reference.getIndex() >= 0) {
                path.append('[').append(reference.getIndex()).append(']');
            }
        }
        return path.toString();
    }
}
