package dev.ferry.mongodb.changestream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class IdleBackoffTest {

    @Test
    void doublesTheWaitUpToTheCapAndStartsOverAfterActivity() {
        IdleBackoff backoff = new IdleBackoff(Duration.ofNanos(1000), Duration.ofNanos(5000));

        assertThat(backoff.nextWaitNanos()).isEqualTo(1000);
        backoff.idle();
        assertThat(backoff.nextWaitNanos()).isEqualTo(2000);
        backoff.idle();
        backoff.idle();
        assertThat(backoff.nextWaitNanos()).isEqualTo(5000);
        backoff.reset();
        assertThat(backoff.nextWaitNanos()).isEqualTo(1000);
    }

    @Test
    void refusesAnEmptyOrInvertedRange() {
        assertThatThrownBy(() -> new IdleBackoff(Duration.ZERO, Duration.ofMillis(1)))
            .hasMessageContaining("0 < min <= max");
        assertThatThrownBy(() -> new IdleBackoff(Duration.ofMillis(2), Duration.ofMillis(1)))
            .hasMessageContaining("0 < min <= max");
    }
}
