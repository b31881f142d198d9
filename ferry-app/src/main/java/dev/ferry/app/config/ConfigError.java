package dev.ferry.app.config;

/** A user's configuration mistake: one line naming the setting and what is expected. No stack trace is shown. */
public final class ConfigError extends RuntimeException {

    public ConfigError(String message) {
        super(message, null, false, false);
    }
}
