package dev.ferry.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.time.Duration;

import org.junit.jupiter.api.Test;

/**
 * Which failures of a dependency call spend the event's retry budget (thrown as they are) and which pause the partition
 * instead ({@link DependencyBreakers.DependencyUnavailable}): an outage must park nothing, also before enough calls have
 * failed to open the breaker.
 */
class DependencyBreakersTest {

    /** A breaker that needs many calls to open: on a quiet partition an event's retries end long before. */
    private final DependencyBreakers breakers = new DependencyBreakers(
        new ProcessorSettings.Breaker(50, 100, 200, Duration.ofSeconds(5)));

    @Test
    void aDependencyThatCannotBeReachedIsUnavailableWhileItsBreakerIsStillClosed() {
        assertThatThrownBy(() -> breakers.call("notify", () -> {
            throw new UncheckedIOException(new ConnectException("Connection refused"));
        })).isInstanceOf(DependencyBreakers.DependencyUnavailable.class).hasMessageContaining("notify");
        assertThat(breakers.states()).containsEntry("notify", "CLOSED");
    }

    @Test
    void aFailureOfTheCallItselfIsTheEventsWhileTheBreakerIsClosed() {
        assertThatThrownBy(() -> breakers.call("notify", () -> {
            throw new IOException("HTTP 400: the payload of this event was refused");
        })).isInstanceOf(IOException.class).hasMessageContaining("400");
    }

    @Test
    void anOpenBreakerRefusesCallsAsUnavailable() throws Exception {
        DependencyBreakers opening = new DependencyBreakers(new ProcessorSettings.Breaker(50, 2, 2, Duration.ofMinutes(1)));
        for (int i = 0; i < 2; i++) {
            try {
                opening.call("notify", () -> {
                    throw new IOException("HTTP 503");
                });
            } catch (Exception expected) {
                // the failures that open it
            }
        }
        assertThat(opening.states()).containsEntry("notify", "OPEN");
        assertThatThrownBy(() -> opening.call("notify", () -> "not called"))
            .isInstanceOf(DependencyBreakers.DependencyUnavailable.class);
    }
}
