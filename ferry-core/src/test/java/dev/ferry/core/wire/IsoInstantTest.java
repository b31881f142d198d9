package dev.ferry.core.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** The fast path reads exactly what {@link Instant#parse} reads, and refuses exactly what it refuses. */
class IsoInstantTest {

    @Test
    void readsWhatInstantToStringWritesForAnyInstantAndFractionLength() {
        SplittableRandom random = new SplittableRandom(23);
        long min = Instant.parse("0000-01-01T00:00:00Z").getEpochSecond();
        long max = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();
        for (int i = 0; i < 100_000; i++) {
            Instant instant = Instant.ofEpochSecond(random.nextLong(min, max + 1), random.nextInt(1_000_000_000));
            String text = instant.toString();
            assertThat(IsoInstant.parse(text)).as(text).isEqualTo(instant);
            // Other writers use 1 to 9 fraction digits, or none.
            String seconds = text.substring(0, 19);
            String fraction = String.format("%09d", instant.getNano());
            for (int digits = 0; digits <= 9; digits++) {
                String other = seconds + (digits == 0 ? "" : "." + fraction.substring(0, digits)) + "Z";
                assertThat(IsoInstant.parse(other)).as(other).isEqualTo(Instant.parse(other));
            }
        }
    }

    @Test
    void unusualFormsAreLeftToInstantParse() {
        for (String text : new String[] {"2026-12-31T23:59:60Z", "2026-11-23t16:00:00z", "2026-11-23T16:00:00+01:00",
            "+12026-11-23T16:00:00Z", "-0001-11-23T16:00:00Z", "2024-02-29T12:00:00.5Z", "2026-11-23T24:00:00Z",
            "2026-11-23T16:00:00.Z"}) {
            assertThat(IsoInstant.parse(text)).as(text).isEqualTo(Instant.parse(text));
        }
    }

    @Test
    void malformedOrImpossibleTimestampsAreRefusedAsInstantParseRefusesThem() {
        for (String text : new String[] {"", "2026-11-23", "2026-11-23T16:00:00",
            "2026-02-30T16:00:00Z", "2025-02-29T16:00:00Z", "2026-13-01T16:00:00Z",
            "2026-11-23T16:60:00Z", "2026-11-23T16:00:61Z", "2026-11-23T16:00:00.1234567890Z", "2026-1x-23T16:00:00Z",
            "2026-11-23T16:00:00.12a4Z", "2026-11-23 16:00:00Z"}) {
            assertThatThrownBy(() -> Instant.parse(text)).as(text).isInstanceOf(DateTimeParseException.class);
            assertThatThrownBy(() -> IsoInstant.parse(text)).as(text).isInstanceOf(DateTimeParseException.class);
        }
    }
}
