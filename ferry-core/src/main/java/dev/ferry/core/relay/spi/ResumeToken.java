package dev.ferry.core.relay.spi;

import java.util.Objects;

/** A position in the change source, opaque to everything but the source that issued it. */
public record ResumeToken(String value) {

    public ResumeToken {
        Objects.requireNonNull(value, "value");
    }
}
