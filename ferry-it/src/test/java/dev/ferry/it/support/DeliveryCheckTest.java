package dev.ferry.it.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;

/** How the delivery check tells a re-publication (a duplicate) from a record out of order. */
class DeliveryCheckTest {

    private final List<Event> stored = List.of(event(1), event(2), event(3), event(4));

    @Test
    void aReplayOfVersionsAlreadyDeliveredIsDuplicatesOnly() {
        DeliveryCheck check = check(1, 2, 3, 2, 3, 4);
        assertThat(check.duplicates()).isEqualTo(2);
        assertThat(check.orderViolations()).isZero();
        assertThat(check.lost()).isZero();
    }

    @Test
    void aRecordGoingBackToAnOlderVersionNotDeliveredBeforeIsAnOrderViolation() {
        DeliveryCheck check = check(1, 3, 2, 4);
        assertThat(check.orderViolations()).as("3 skips ahead, 2 goes back").isEqualTo(2);
        assertThat(check.duplicates()).isZero();
    }

    @Test
    void aVersionSkippedForGoodIsAnOrderViolationAndLost() {
        DeliveryCheck check = check(1, 2, 4);
        assertThat(check.orderViolations()).isEqualTo(1);
        assertThat(check.lost()).isEqualTo(1);
    }

    private DeliveryCheck check(long... versions) {
        List<PublishedRecord> records = new ArrayList<>();
        for (int i = 0; i < versions.length; i++) {
            Event event = stored.get((int) versions[i] - 1);
            records.add(new PublishedRecord("t.patient", 0, i, "p-1", event.eventId(), "patient", "p-1",
                event.version(), 1, event.version(), "r1"));
        }
        return DeliveryCheck.of(stored, records);
    }

    private static Event event(long version) {
        return new Event("e-" + version, "patient", "p-1", version, "Noted", Instant.parse("2026-12-06T10:00:00Z"),
            "{}", new EventMetadata(null, null));
    }
}
