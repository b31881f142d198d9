package dev.ferry.config;

import java.util.regex.Pattern;

/**
 * A record's complaint about one of its settings, keyed relative to the record ({@code partitions}); the loader
 * re-keys it under where the record sits in the file ({@code kafka.partitions}, {@code sources[1].collection}), so
 * records need not know their place and still produce one line naming the full key.
 */
final class SettingError extends ConfigError {

    /** Keys that an environment variable can set: a fixed section's own setting. */
    private static final Pattern OVERRIDABLE = Pattern.compile("(mongodb|kafka|nats|relay|projector|admin)\\.[A-Za-z]+");

    private final String key;
    private final String problem;
    private final boolean missing;

    private SettingError(String key, String problem, boolean missing) {
        super(message(key, problem, missing));
        this.key = key;
        this.problem = problem;
        this.missing = missing;
    }

    /** {@code key: problem}. */
    static SettingError invalid(String key, String problem) {
        return new SettingError(key, problem, false);
    }

    /** {@code key is missing: expected …}, with the environment variable that can set it where there is one. */
    static SettingError missing(String key, String expected) {
        return new SettingError(key, expected, true);
    }

    /** The key this error is about, relative to where it was raised. */
    String key() {
        return key;
    }

    /** The same error, keyed under {@code prefix} ({@code kafka}, {@code sources[1]}, or empty for the top). */
    SettingError under(String prefix) {
        String full = prefix.isEmpty() ? key : key.isEmpty() ? prefix : key.startsWith("[") ? prefix + key : prefix + "." + key;
        return new SettingError(full, problem, missing);
    }

    private static String message(String key, String problem, boolean missing) {
        if (!missing) {
            return key.isEmpty() ? problem : key + ": " + problem;
        }
        String hint = "";
        if (OVERRIDABLE.matcher(key).matches()) {
            String[] parts = key.split("\\.");
            hint = " (in the config file or " + EnvironmentOverrides.variableFor(parts[0], parts[1]) + ")";
        }
        return key + " is missing: expected " + problem + hint;
    }
}
