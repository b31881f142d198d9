package dev.ferry.config;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;

import dev.ferry.core.relay.HistoryLostPolicy;

/**
 * The configuration reference, generated from the records as Kafka's {@code ConfigDef} generates its documentation, so
 * that nothing is written twice: every key the loader binds (found through the loader's own mapper), its type, the
 * default its record's constructor applies, the environment variable that overrides it, and the description on its
 * component ({@link JsonPropertyDescription}; a setting every kind has carries it on the interface's method). A
 * {@code String} component {@code x} whose record has {@code xDuration()} is a duration.
 * {@code ConfigurationReferenceTest} fails when {@link #FILE} is not what this generates.
 */
public final class ConfigurationReference {

    /** Where the reference lives, from the repository's root. */
    public static final Path FILE = Path.of("docs", "configuration-reference.md");

    /** One key of the file. */
    record Setting(String key, String type, String defaultValue, String variable, String description) {
    }

    /** Settings under a heading: the top level, a section, or one kind of source or target. */
    record Section(int level, String title, String text, List<Setting> settings) {
    }

    private final ObjectMapper mapper = ConfigLoader.MAPPER;
    private final Map<String, String> variables = EnvironmentOverrides.variables(mapper);
    private final RecordDefaults defaults = new RecordDefaults();

    /** Writes the reference to the file named, or to {@link #FILE} when run from the repository's root. */
    public static void main(String[] args) throws IOException {
        Path file = args.length > 0 ? Path.of(args[0]) : FILE;
        Files.writeString(file, markdown());
        System.out.println("wrote " + file.toAbsolutePath().normalize());
    }

    /** The reference, as {@link #FILE} holds it. */
    public static String markdown() {
        return new ReferenceMarkdown().render(new ConfigurationReference().sections());
    }

    List<Section> sections() {
        List<Setting> topLevel = new ArrayList<>();
        List<Section> below = new ArrayList<>();
        for (BeanPropertyDefinition property : properties(FerryConfig.class)) {
            String name = property.getName();
            JavaType type = property.getPrimaryType();
            String description = description(FerryConfig.class, name);
            String link = "[below](#" + name + ")";
            if (type.isRecordType()) {
                topLevel.add(new Setting(name, "mapping, " + link, "", null, description));
                below.add(new Section(2, name, description, settings(type.getRawClass(), name + ".")));
            } else if (type.isCollectionLikeType() && kinds(type.getContentType().getRawClass()) != null) {
                Class<?> kindOf = type.getContentType().getRawClass();
                topLevel.add(new Setting(name, "list of mappings, " + link, defaultText(FerryConfig.class, name),
                    null, description));
                below.add(new Section(2, name, description, List.of()));
                for (JsonSubTypes.Type kind : kinds(kindOf)) {
                    below.add(kindSection(name + "[].", kindOf, kind));
                }
            } else {
                topLevel.add(setting(FerryConfig.class, name, name, type));
            }
        }
        List<Section> sections = new ArrayList<>();
        sections.add(new Section(2, "Top level", "", topLevel));
        sections.addAll(below);
        return sections;
    }

    /** Every key, in the order the reference gives them. */
    List<Setting> settings() {
        return sections().stream().flatMap(section -> section.settings().stream()).toList();
    }

    private Section kindSection(String prefix, Class<?> kindOf, JsonSubTypes.Type kind) {
        String property = kindOf.getAnnotation(JsonTypeInfo.class).property();
        List<Setting> settings = new ArrayList<>();
        settings.add(new Setting(prefix + property, "`" + kind.name() + "`", "required", null,
            description(kind.value(), property)));
        settings.addAll(settings(kind.value(), prefix));
        JsonClassDescription text = kind.value().getAnnotation(JsonClassDescription.class);
        return new Section(3, property + ": " + kind.name(), text == null ? null : text.value(), settings);
    }

    private List<Setting> settings(Class<?> record, String prefix) {
        List<Setting> settings = new ArrayList<>();
        for (BeanPropertyDefinition property : properties(record)) {
            String name = property.getName();
            String key = prefix + name;
            JavaType type = property.getPrimaryType();
            String description = description(record, name);
            if (type.isRecordType()) {
                settings.add(new Setting(key, "mapping", "", variables.get(key), description));
                settings.addAll(settings(type.getRawClass(), key + "."));
            } else if (type.isCollectionLikeType() && type.getContentType().isRecordType()) {
                settings.add(new Setting(key, "list of mappings", defaultText(record, name), null, description));
                settings.addAll(settings(type.getContentType().getRawClass(), key + "[]."));
            } else if (type.isMapLikeType()) {
                KeyName keyName = annotation(record, name, KeyName.class);
                String entry = key + ".<" + (keyName == null ? "key" : keyName.value()) + ">";
                JavaType value = mapValueType(record, name, type);
                if (value.isRecordType()) {
                    settings.add(new Setting(entry, "mapping", "", null, description));
                    settings.addAll(settings(value.getRawClass(), entry + "."));
                } else {
                    settings.add(new Setting(entry, typeName(record, name, value), "", null, description));
                }
            } else {
                settings.add(setting(record, name, key, type));
            }
        }
        return settings;
    }

    private Setting setting(Class<?> record, String name, String key, JavaType type) {
        return new Setting(key, typeName(record, name, type), defaultText(record, name), variables.get(key),
            description(record, name));
    }

    private String typeName(Class<?> record, String name, JavaType type) {
        Class<?> raw = type.getRawClass();
        if (raw == String.class) {
            return durationAccessor(record, name) ? "duration" : "string";
        }
        if (raw == Integer.class || raw == int.class) {
            WholeNumber range = annotation(record, name, WholeNumber.class);
            return range == null ? "whole number" : "whole number, " + range.min() + " to " + range.max();
        }
        if (raw == Boolean.class || raw == boolean.class) {
            return "boolean";
        }
        if (raw.isEnum()) {
            return oneOf(spellings(raw));
        }
        if (type.isCollectionLikeType()) {
            return "list of " + typeName(record, name, type.getContentType()) + "s";
        }
        throw new IllegalStateException("no reference type for " + record.getSimpleName() + "." + name + ": " + type);
    }

    private String defaultText(Class<?> record, String name) {
        if (defaults.required(record, name)) {
            return "required";
        }
        if (defaults.sampled(record, name)) {
            return "—"; // one of several ways to give something (sources of kind events: aggregateType)
        }
        return valueText(record, defaults.defaultOf(record, name));
    }

    private String valueText(Class<?> record, Object value) {
        String sampled = value == null ? null : defaults.sampledAs(record, value);
        if (sampled != null) {
            return "same as `" + sampled + "`";
        }
        if (value == null) {
            return "—";
        }
        if (value instanceof String text && text.isEmpty()) {
            return "empty";
        }
        return "`" + flow(value) + "`";
    }

    /** A value as YAML's flow style writes it; a record as its kind and the settings it requires. */
    private String flow(Object value) {
        if (value instanceof List<?> list) {
            return list.stream().map(this::flow).collect(Collectors.joining(", ", "[", "]"));
        }
        if (value instanceof Map<?, ?> map) {
            return map.isEmpty() ? "{}" : map.toString();
        }
        if (value instanceof Enum<?> constant) {
            return spellings(constant.getDeclaringClass()).get(constant.ordinal());
        }
        if (value instanceof Record record) {
            Stream<String> kind = Arrays.stream(record.getClass().getInterfaces())
                .filter(type -> type.isAnnotationPresent(JsonTypeInfo.class))
                .map(type -> type.getAnnotation(JsonTypeInfo.class).property() + ": "
                    + kindName(type, record.getClass()));
            Stream<String> required = Arrays.stream(record.getClass().getRecordComponents())
                .filter(component -> defaults.required(record.getClass(), component.getName()))
                .map(component -> component.getName() + ": " + flow(read(record, component.getName())));
            return Stream.concat(kind, required).collect(Collectors.joining(", ", "{", "}"));
        }
        return String.valueOf(value);
    }

    private static String kindName(Class<?> kindOf, Class<?> kind) {
        return Arrays.stream(kinds(kindOf)).filter(type -> type.value() == kind).map(JsonSubTypes.Type::name)
            .findFirst().orElseThrow();
    }

    private static JsonSubTypes.Type[] kinds(Class<?> type) {
        JsonSubTypes subTypes = type.getAnnotation(JsonSubTypes.class);
        return subTypes == null ? null : subTypes.value();
    }

    /** The file's spellings of an enum's constants, in their order. */
    private static List<String> spellings(Class<?> type) {
        if (type == HistoryLostPolicy.class) {
            return Arrays.stream(type.getEnumConstants()).map(constant -> HistoryLostDeserializer.SPELLINGS.entrySet()
                .stream().filter(spelling -> spelling.getValue() == constant).findFirst().orElseThrow().getKey())
                .toList();
        }
        return Arrays.stream(type.getEnumConstants()).map(String::valueOf).toList();
    }

    private static String oneOf(List<String> values) {
        List<String> quoted = values.stream().map(value -> "`" + value + "`").toList();
        return String.join(", ", quoted.subList(0, quoted.size() - 1)) + " or " + quoted.get(quoted.size() - 1);
    }

    private JavaType mapValueType(Class<?> record, String name, JavaType type) {
        JsonDeserialize declared = annotation(record, name, JsonDeserialize.class);
        return declared != null && declared.contentAs() != Void.class ? mapper.constructType(declared.contentAs())
            : type.getContentType();
    }

    private List<BeanPropertyDefinition> properties(Class<?> record) {
        return mapper.getDeserializationConfig().introspect(mapper.constructType(record)).findProperties();
    }

    /** A component's description, or that of the interface method it implements (a setting every kind has). */
    private static String description(Class<?> record, String name) {
        JsonPropertyDescription description = annotation(record, name, JsonPropertyDescription.class);
        for (Class<?> type : record.getInterfaces()) {
            if (description == null) {
                description = annotation(type, name, JsonPropertyDescription.class);
            }
        }
        return description == null ? null : description.value();
    }

    /** An annotation of a component, which Java copies onto its accessor. */
    private static <A extends java.lang.annotation.Annotation> A annotation(Class<?> type, String name, Class<A> kind) {
        try {
            return type.getMethod(name).getAnnotation(kind);
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    private static boolean durationAccessor(Class<?> record, String name) {
        try {
            Method method = record.getMethod(name + "Duration");
            return method.getReturnType() == java.time.Duration.class && method.getParameterCount() == 0;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    private static Object read(Record record, String component) {
        try {
            return record.getClass().getMethod(component).invoke(record);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
