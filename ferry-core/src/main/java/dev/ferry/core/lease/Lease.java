package dev.ferry.core.lease;

import java.util.Objects;

/**
 * A lease as stored.
 *
 * @param name     what it elects a leader for, e.g. the relay's name
 * @param owner    the holder's instance id, or null when released
 * @param epoch    grows by one on every change of owner; fences writes of former holders
 * @param renewals grows on every renewal; standbys watch it move
 */
public record Lease(String name, String owner, long epoch, long renewals) {

    public Lease {
        Objects.requireNonNull(name, "name");
    }

    public boolean isHeldBy(String instance) {
        return instance.equals(owner);
    }
}
