package dev.ferry.config;

/** A user's configuration mistake: one line naming the setting and what is expected. No stack trace is shown. */
public class ConfigError extends RuntimeException {

    public ConfigError(String message) {
        super(message, null, false, false);
    }
}
