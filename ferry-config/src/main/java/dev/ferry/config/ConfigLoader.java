package dev.ferry.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import dev.ferry.core.relay.HistoryLostPolicy;

/**
 * Reads {@link FerryConfig} from a YAML file, then environment overrides (12-factor): every setting
 * {@code section.someKey} can be set by {@code FERRY_SECTION_SOME_KEY}, and any value may refer to an environment
 * variable as {@code ${NAME}} (secrets such as an Event Hubs connection string stay out of the file). Files from
 * before {@code sources} existed still load. Every mistake is one {@link ConfigError} line naming the setting and
 * what is expected.
 */
public final class ConfigLoader {

    /**
     * Configured once and immutable: building and introspecting a mapper costs more than reading a file. The
     * configuration reference introspects the records through it, so that it lists exactly the keys bound here.
     */
    static final ObjectMapper MAPPER = JsonMapper.builder()
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .addModule(new SimpleModule("ferry-config")
            .addDeserializer(Boolean.class, new TrueOrFalseDeserializer())
            .addDeserializer(HistoryLostPolicy.class, new HistoryLostDeserializer()))
        .build();

    private final Map<String, String> environment;

    public ConfigLoader(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    public FerryConfig load(Path file) {
        ObjectNode root = read(file);
        new EnvironmentOverrides(environment, MAPPER).apply(root);
        new VariableReferences(environment).resolve(root);
        LegacyShape.rewrite(root);
        try {
            return MAPPER.treeToValue(root, FerryConfig.class);
        } catch (JsonMappingException e) {
            throw new BindingErrors(MAPPER, root).translate(e);
        } catch (JacksonException e) {
            throw new ConfigError("config file " + file + ": " + e.getOriginalMessage().replace('\n', ' '));
        }
    }

    /** The environment variable that overrides {@code section.key}: {@code FERRY_SECTION_KEY}. */
    public static String environmentName(String section, String key) {
        return EnvironmentOverrides.variableFor(section, key);
    }

    private static ObjectNode read(Path file) {
        try {
            JsonNode node = new YAMLMapper().readTree(Files.readString(file));
            if (node == null || node.isMissingNode() || node.isNull()) {
                return new ObjectMapper().createObjectNode();
            }
            if (!node.isObject()) {
                throw new ConfigError("config file " + file + ": expected a YAML mapping of sections (mongodb, sources, kafka, …)");
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
}
