package dev.ferry.app.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import dev.ferry.core.partition.TopicNaming;
import dev.ferry.core.relay.HistoryLostPolicy;
import dev.ferry.kafka.publish.KafkaSettings;

/**
 * Reads {@link FerryConfig} from a YAML file, then environment overrides (12-factor): every setting
 * {@code section.someKey} can be set by {@code FERRY_SECTION_SOME_KEY}, and any value may refer to an environment
 * variable as {@code ${NAME}} (secrets such as an Event Hubs connection string stay out of the file). Every
 * mistake is one {@link ConfigError} line naming the setting and what is expected.
 */
public final class ConfigLoader {

    private static final Pattern REFERENCE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");
    private static final Map<String, Set<String>> KNOWN = Map.of(
        "mongodb", Set.of("uri", "database", "eventsCollection"),
        "kafka", Set.of("bootstrapServers", "topicPrefix", "partitions", "replicationFactor", "deadLetterTopic",
            "idempotence", "compression", "lingerMs", "properties"),
        "relay", Set.of("name", "start", "historyLost"),
        "projector", Set.of("projection", "aggregateTypes", "lanes", "applyLog", "notifyUrl"),
        "admin", Set.of("bind", "port", "token"));

    /** Client properties Ferry sets from a setting of its own: the error names that setting. */
    private static final Map<String, String> SETTING_FOR_CLIENT_PROPERTY = Map.of("compression.type", "kafka.compression",
        "linger.ms", "kafka.lingerMs",
        "enable.idempotence", "kafka.idempotence", "bootstrap.servers", "kafka.bootstrapServers");

    private final Map<String, String> environment;

    public ConfigLoader(Map<String, String> environment) {
        this.environment = environment;
    }

    public FerryConfig load(Path file) {
        ObjectNode root = read(file);
        checkKnown(root);
        applyEnvironment(root);
        Settings s = new Settings(root);
        String topicPrefix = s.string("kafka.topicPrefix", "ferry.");
        try {
            new TopicNaming(topicPrefix);
        } catch (IllegalArgumentException e) {
            throw new ConfigError("kafka.topicPrefix: " + e.getMessage());
        }
        List<String> aggregateTypes = s.list("projector.aggregateTypes");
        for (String type : aggregateTypes) {
            try {
                new TopicNaming(topicPrefix).checkAggregateType(type);
            } catch (IllegalArgumentException e) {
                throw new ConfigError("projector.aggregateTypes: " + e.getMessage());
            }
        }
        return new FerryConfig(
            new FerryConfig.Mongo(s.required("mongodb.uri", "a MongoDB connection string (mongodb:// or mongodb+srv://)",
                value -> value.startsWith("mongodb://") || value.startsWith("mongodb+srv://")),
                s.string("mongodb.database", "ferry"), s.string("mongodb.eventsCollection", "events")),
            new FerryConfig.Kafka(s.required("kafka.bootstrapServers", "host:port[,host:port…]",
                value -> value.matches("[^,\\s]+:\\d+(,[^,\\s]+:\\d+)*")),
                topicPrefix, s.integer("kafka.partitions", 12, 1, 10_000),
                (short) s.integer("kafka.replicationFactor", 3, 1, 32),
                s.string("kafka.deadLetterTopic", topicPrefix + "dead-letter"), s.bool("kafka.idempotence", true),
                s.compression(), s.integer("kafka.lingerMs", KafkaSettings.DEFAULT_LINGER_MS, 0, KafkaSettings.MAX_LINGER_MS),
                s.properties("kafka.properties")),
            new FerryConfig.Relay(s.string("relay.name", "ferry-relay"), s.start("relay.start"), s.historyLost()),
            new FerryConfig.Projector(s.string("projector.projection", "latest_state"), aggregateTypes,
                s.integer("projector.lanes", 16, 1, 1024), s.bool("projector.applyLog", false), s.url("projector.notifyUrl")),
            new FerryConfig.Admin(s.string("admin.bind", "0.0.0.0"), s.integer("admin.port", 8080, 0, 65535),
                s.string("admin.token", "")));
    }

    private static ObjectNode read(Path file) {
        try {
            JsonNode node = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(file));
            if (node == null || node.isMissingNode() || node.isNull()) {
                return new ObjectMapper().createObjectNode();
            }
            if (!node.isObject()) {
                throw new ConfigError("config file " + file + ": expected a YAML mapping of sections (mongodb, kafka, …)");
            }
            return (ObjectNode) node;
        } catch (NoSuchFileException e) {
            throw new ConfigError("cannot read config file " + file + ": no such file");
        } catch (JacksonException e) {
            throw new ConfigError("config file " + file + " is not valid YAML: "
                + e.getOriginalMessage().replace('\n', ' ') + " (line " + (e.getLocation() == null ? "?"
                : e.getLocation().getLineNr()) + ")");
        } catch (IOException e) {
            throw new ConfigError("cannot read config file " + file + ": " + e.getMessage());
        }
    }

    private static void checkKnown(ObjectNode root) {
        for (Iterator<String> sections = root.fieldNames(); sections.hasNext(); ) {
            String section = sections.next();
            Set<String> keys = KNOWN.get(section);
            if (keys == null) {
                throw new ConfigError("unknown section '" + section + "'; expected one of " + new java.util.TreeSet<>(KNOWN.keySet()));
            }
            JsonNode values = root.get(section);
            if (!values.isObject()) {
                throw new ConfigError(section + ": expected a mapping of settings");
            }
            for (Iterator<String> names = values.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!keys.contains(name)) {
                    throw new ConfigError("unknown setting '" + section + "." + name + "'; " + section + " has "
                        + new java.util.TreeSet<>(keys));
                }
            }
        }
    }

    /** FERRY_SECTION_SOME_KEY overrides section.someKey. */
    private void applyEnvironment(ObjectNode root) {
        KNOWN.forEach((section, keys) -> keys.forEach(key -> {
            String value = environment.get(environmentName(section, key));
            if (value != null && !key.equals("properties")) {
                ObjectNode target = root.has(section) ? (ObjectNode) root.get(section) : root.putObject(section);
                if (key.equals("aggregateTypes")) {
                    target.putArray(key).addAll(java.util.Arrays.stream(value.split(","))
                        .map(String::trim).map(v -> new ObjectMapper().getNodeFactory().textNode(v)).toList());
                } else {
                    target.put(key, value);
                }
            }
        }));
    }

    public static String environmentName(String section, String key) {
        return "FERRY_" + section.toUpperCase(Locale.ROOT) + "_" + key.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
    }

    /** Typed access with one-line errors. */
    private final class Settings {
        private final ObjectNode root;

        Settings(ObjectNode root) {
            this.root = root;
        }

        private JsonNode node(String path) {
            String[] parts = path.split("\\.", 2);
            JsonNode section = root.get(parts[0]);
            return section == null ? null : section.get(parts[1]);
        }

        private String text(String path) {
            JsonNode node = node(path);
            if (node == null || node.isNull()) {
                return null;
            }
            if (!node.isValueNode()) {
                throw new ConfigError(path + ": expected a single value");
            }
            return resolve(path, node.asText());
        }

        private String resolve(String path, String value) {
            Matcher matcher = REFERENCE.matcher(value);
            StringBuilder resolved = new StringBuilder();
            while (matcher.find()) {
                String variable = environment.get(matcher.group(1));
                if (variable == null) {
                    throw new ConfigError(path + ": refers to environment variable " + matcher.group(1) + ", which is not set");
                }
                matcher.appendReplacement(resolved, Matcher.quoteReplacement(variable));
            }
            matcher.appendTail(resolved);
            return resolved.toString();
        }

        String string(String path, String fallback) {
            String value = text(path);
            return value == null || value.isBlank() ? fallback : value.trim();
        }

        String required(String path, String expected, java.util.function.Predicate<String> valid) {
            String value = text(path);
            if (value == null || value.isBlank()) {
                throw new ConfigError(path + " is missing: expected " + expected + " (in the config file or "
                    + environmentName(path.split("\\.")[0], path.split("\\.")[1]) + ")");
            }
            if (!valid.test(value.trim())) {
                throw new ConfigError(path + ": expected " + expected + ", got '" + value + "'");
            }
            return value.trim();
        }

        int integer(String path, int fallback, int min, int max) {
            String value = text(path);
            if (value == null || value.isBlank()) {
                return fallback;
            }
            try {
                int number = Integer.parseInt(value.trim());
                if (number < min || number > max) {
                    throw new ConfigError(path + ": expected a whole number from " + min + " to " + max + ", got " + number);
                }
                return number;
            } catch (NumberFormatException e) {
                throw new ConfigError(path + ": expected a whole number from " + min + " to " + max + ", got '" + value + "'");
            }
        }

        boolean bool(String path, boolean fallback) {
            String value = text(path);
            if (value == null || value.isBlank()) {
                return fallback;
            }
            return switch (value.trim().toLowerCase(Locale.ROOT)) {
                case "true", "yes", "on" -> true;
                case "false", "no", "off" -> false;
                default -> throw new ConfigError(path + ": expected true or false, got '" + value + "'");
            };
        }

        List<String> list(String path) {
            JsonNode node = node(path);
            List<String> values = new ArrayList<>();
            if (node == null || node.isNull()) {
                return values;
            }
            if (!node.isArray()) {
                throw new ConfigError(path + ": expected a list, e.g. [patient, practitioner]");
            }
            node.forEach(item -> values.add(resolve(path, item.asText())));
            return values;
        }

        Map<String, Object> properties(String path) {
            JsonNode node = node(path);
            Map<String, Object> properties = new LinkedHashMap<>();
            if (node == null || node.isNull()) {
                return properties;
            }
            if (!node.isObject()) {
                throw new ConfigError(path + ": expected a mapping of Kafka client settings");
            }
            node.fields().forEachRemaining(e -> properties.put(e.getKey(), resolve(path + "." + e.getKey(), e.getValue().asText())));
            for (String key : properties.keySet()) {
                if (KafkaSettings.OWNED_CLIENT_PROPERTIES.contains(key)) {
                    String setting = SETTING_FOR_CLIENT_PROPERTY.get(key);
                    throw new ConfigError(path + "." + key + ": set by Ferry" + (setting == null ? "" : "; use " + setting)
                        + ", not overridable");
                }
            }
            return properties;
        }

        String url(String path) {
            String value = string(path, "");
            if (!value.isEmpty() && !value.matches("https?://\\S+")) {
                throw new ConfigError(path + ": expected an http:// or https:// URL, got '" + value + "'");
            }
            return value;
        }

        String start(String path) {
            String value = string(path, "now");
            if (!value.equals("now") && !value.equals("earliest")) {
                try {
                    Instant.parse(value);
                } catch (DateTimeParseException e) {
                    throw new ConfigError(path + ": expected 'now', 'earliest' or an ISO-8601 instant such as 2026-01-31T00:00:00Z, got '"
                        + value + "'");
                }
            }
            return value;
        }

        String compression() {
            String value = string("kafka.compression", "none");
            if (!KafkaSettings.COMPRESSIONS.contains(value)) {
                throw new ConfigError("kafka.compression: expected one of " + new java.util.TreeSet<>(KafkaSettings.COMPRESSIONS)
                    + " (Azure Event Hubs: none or gzip), got '" + value + "'");
            }
            return value;
        }

        HistoryLostPolicy historyLost() {
            String value = string("relay.historyLost", "fail");
            return switch (value) {
                case "fail" -> HistoryLostPolicy.FAIL;
                case "restart-from-now" -> HistoryLostPolicy.RESTART_FROM_NOW;
                default -> throw new ConfigError("relay.historyLost: expected 'fail' or 'restart-from-now', got '" + value + "'");
            };
        }
    }
}
