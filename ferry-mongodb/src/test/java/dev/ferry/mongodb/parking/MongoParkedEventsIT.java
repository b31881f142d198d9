package dev.ferry.mongodb.parking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.event.VersionRule;
import dev.ferry.core.target.ParkedEvents;
import dev.ferry.core.target.ParkedEvents.ParkedEvent;
import dev.ferry.mongodb.MongoTestDatabase;

/** Parked events keep everything a retry needs (the version rule too); requests must name something parked. */
@Timeout(60)
class MongoParkedEventsIT {

    private static MongoTestDatabase mongo;

    @BeforeAll
    static void connect() {
        mongo = MongoTestDatabase.start("ferry_parked");
    }

    @AfterAll
    static void disconnect() {
        mongo.close();
    }

    @Test
    void aParkedEventComesBackWithItsVersionRule() {
        MongoParkedEvents parked = new MongoParkedEvents(mongo.database());
        Event event = new Event("e-9", "patient", "p-9", 1_700_000_000_123L, "Updated", Instant.parse("2026-12-01T10:00:00Z"),
            "{\"ward\":3}", EventMetadata.NONE, VersionRule.INCREASING);
        parked.park("rule_kept", new ParkedEvent("patient/p-9", event, "boom", "", 5, "ferry.patient", 2, 41, null,
            Instant.now()));

        Event back = parked.parked("rule_kept", "patient/p-9").get(0).event();
        assertThat(back).usingRecursiveComparison().ignoringFields("payloadJson").isEqualTo(event);
        assertThat(back.payloadJson()).isEqualToIgnoringWhitespace(event.payloadJson());
    }

    @Test
    void aRequestNamingNothingParkedIsRefusedWithTheReason() {
        MongoParkedEvents parked = new MongoParkedEvents(mongo.database());
        parked.park("requests", new ParkedEvent("patient/p-1", null, "undecodable", "", 0, "ferry.patient", 0, 3, "x",
            Instant.now()));

        parked.request("requests", "patient/p-1", ParkedEvents.Request.RETRY);
        assertThatThrownBy(() -> parked.request("requests", "patient/p-2", ParkedEvents.Request.RETRY))
            .isInstanceOf(ParkedEvents.NothingParked.class)
            .hasMessage("aggregate 'patient/p-2' has no parked events in projection 'requests': nothing to retry or skip");
        assertThatThrownBy(() -> parked.request("no_such_projection", "patient/p-1", ParkedEvents.Request.SKIP_FIRST))
            .isInstanceOf(ParkedEvents.NothingParked.class)
            .hasMessageStartingWith("projection 'no_such_projection' has no parked events (projections with parked events: [")
            .hasMessageContaining("requests");
        assertThat(parked.pendingRequests("requests")).hasSize(1);
    }
}
