package dev.ferry.core.relay;

import java.util.Objects;
import java.util.function.BooleanSupplier;

import dev.ferry.core.relay.spi.RecordPublisher.Provenance;

/**
 * One leadership term of a relay instance, as its parts see it: which relay leads in which epoch, whether it still
 * does, and what the parts report to. A term restarted in the same epoch after a failure is a new term.
 *
 * @param running whether the instance is still running (false once it is closing or killed)
 * @param leading whether the lease of this term's epoch is still held
 */
record Term(RelaySettings settings, String instanceId, long epoch, TakeoverTimeline timeline, RelayProgress progress,
            BrokerRefusals refusals, BooleanSupplier running, BooleanSupplier leading) {

    Term {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(timeline, "timeline");
        Objects.requireNonNull(progress, "progress");
        Objects.requireNonNull(refusals, "refusals");
        Objects.requireNonNull(running, "running");
        Objects.requireNonNull(leading, "leading");
    }

    String relay() {
        return settings.name();
    }

    /** Still leading, whether or not the instance is stopping (a graceful stop checkpoints what was flushed). */
    boolean leads() {
        return leading.getAsBoolean();
    }

    /** Still running and leading: the term goes on publishing. */
    boolean active() {
        return running.getAsBoolean() && leading.getAsBoolean();
    }

    /** Who publishes a record and at which position of the relay's output. */
    Provenance provenance(long sequence) {
        return new Provenance(instanceId, epoch, sequence);
    }
}
