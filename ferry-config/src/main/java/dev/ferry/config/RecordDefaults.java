package dev.ferry.config;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The configuration records' own defaults and required settings, learnt from their constructors rather than written
 * again: each record is built as the loader builds it, from a sample value for each setting it cannot do without and
 * nothing else, and its components then hold its defaults. A setting is required when its constructor, given
 * everything but that setting's sample, refuses naming that setting.
 */
final class RecordDefaults {

    /**
     * The least each record needs, by component; a {@link Class} stands for that record's own sample. A record that
     * gains a required setting needs its sample here (the reference says so when it is missing).
     */
    private static final Map<Class<?>, Map<String, Object>> SAMPLES = Map.ofEntries(
        sample(FerryConfig.class, "mongodb", FerryConfig.Mongo.class, "kafka", FerryConfig.Kafka.class),
        sample(FerryConfig.Mongo.class, "uri", "mongodb://sample-host:27017"),
        sample(FerryConfig.Kafka.class, "bootstrapServers", "sample-host:9092"),
        sample(FerryConfig.Nats.class, "servers", "nats://sample-host:4222"),
        sample(SourceConfig.Commits.class, "collection", "sample_collection"),
        // One of the three ways to give an event's type; aggregateId has its default only with this one.
        sample(SourceConfig.Events.class, "collection", "sample_collection", "aggregateTypeField", "sample_type"),
        sample(SourceConfig.Events.Stream.class, "field", "sample_field"),
        sample(SourceConfig.Entities.class, "collection", "sample_collection"),
        sample(TargetConfig.MongoDb.class, "name", "sample_target", "entities", List.of("sample_entity"), "database",
            "sample_database"),
        sample(TargetConfig.PostgreSql.class, "name", "sample_target", "entities", List.of("sample_entity"), "url",
            "jdbc:postgresql://sample-host:5432/sample"),
        sample(TargetConfig.PostgreSql.Table.class, "table", "sample_table"),
        sample(TargetConfig.PostgreSql.Column.class, "name", "sample_column", "field", "sample.field", "type",
            TargetConfig.PostgreSql.Column.TYPES.get(0)));

    private final Map<Class<?>, Object> instances = new HashMap<>();

    /** The record as built from its samples alone: its components hold its defaults. */
    Object instance(Class<?> record) {
        Object instance = instances.get(record);
        if (instance == null) {
            try {
                instance = construct(record, samples(record));
            } catch (SettingError e) {
                throw new IllegalStateException(record.getName() + " cannot be built from its samples ("
                    + e.getMessage() + "): give RecordDefaults.SAMPLES a value for each setting it requires", e);
            }
            instances.put(record, instance);
        }
        return instance;
    }

    /** The value {@code component} takes when the file leaves it out. */
    Object defaultOf(Class<?> record, String component) {
        try {
            return record.getMethod(component).invoke(instance(record));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether the record refuses to be built without {@code component}, naming it. */
    boolean required(Class<?> record, String component) {
        Map<String, Object> without = new HashMap<>(samples(record));
        if (without.remove(component) == null) {
            return false;
        }
        try {
            construct(record, without);
            return false;
        } catch (SettingError e) {
            return component.equals(e.key());
        }
    }

    /** Whether {@code component} has a sample: required, or one of several ways to give something. */
    boolean sampled(Class<?> record, String component) {
        return SAMPLES.getOrDefault(record, Map.of()).containsKey(component);
    }

    /** The component whose sample {@code value} is, if one is: a default taken from another setting. */
    String sampledAs(Class<?> record, Object value) {
        return SAMPLES.getOrDefault(record, Map.of()).entrySet().stream()
            .filter(sample -> sample.getValue().equals(value)).map(Map.Entry::getKey).findFirst().orElse(null);
    }

    private static Map.Entry<Class<?>, Map<String, Object>> sample(Class<?> record, Object... componentsAndValues) {
        Map<String, Object> values = new HashMap<>();
        for (int i = 0; i < componentsAndValues.length; i += 2) {
            values.put((String) componentsAndValues[i], componentsAndValues[i + 1]);
        }
        return Map.entry(record, Map.copyOf(values));
    }

    private Map<String, Object> samples(Class<?> record) {
        Map<String, Object> samples = new HashMap<>();
        SAMPLES.getOrDefault(record, Map.of()).forEach((component, sample) ->
            samples.put(component, sample instanceof Class<?> nested ? instance(nested) : sample));
        return samples;
    }

    private static Object construct(Class<?> record, Map<String, Object> values) {
        RecordComponent[] components = record.getRecordComponents();
        Object[] arguments = Arrays.stream(components).map(component -> values.get(component.getName())).toArray();
        try {
            Constructor<?> canonical = record.getDeclaredConstructor(
                Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new));
            return canonical.newInstance(arguments);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof SettingError error) {
                throw error;
            }
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
