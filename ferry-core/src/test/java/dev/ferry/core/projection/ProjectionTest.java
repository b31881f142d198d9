package dev.ferry.core.projection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;

import org.junit.jupiter.api.Test;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.target.RetryPolicy;

class ProjectionTest {

    private static final HandlerContext CONTEXT = new HandlerContext() {
        @Override
        public String idempotencyKey() {
            return "e-1";
        }

        @Override
        public <T> T call(String dependency, Callable<T> call) throws Exception {
            return call.call();
        }
    };

    private static Event event(String type) {
        return new Event("e-1", "patient", "p-1", 1, type, Instant.now(), "{\"name\":\"Ada\"}", EventMetadata.NONE);
    }

    @Test
    void routesEventsToTheirHandlerAndLeavesOthersUnchanged() throws Exception {
        Projection projection = Projection.named("patients").forAggregateTypes("patient")
            .on("PatientRegistered", (event, context) -> new ReadModelChange.Put(event.payloadJson()))
            .on("PatientDischarged", (event, context) -> ReadModelChange.REMOVE)
            .build();

        assertThat(projection.apply(event("PatientRegistered"), CONTEXT)).isEqualTo(new ReadModelChange.Put("{\"name\":\"Ada\"}"));
        assertThat(projection.apply(event("PatientDischarged"), CONTEXT)).isEqualTo(ReadModelChange.REMOVE);
        assertThat(projection.apply(event("SomethingElse"), CONTEXT)).isEqualTo(ReadModelChange.UNCHANGED);
    }

    @Test
    void refusesAmbiguousOrIncompleteDefinitions() {
        assertThatThrownBy(() -> Projection.named("bad name")).hasMessageContaining("'bad name'");
        assertThatThrownBy(() -> Projection.named("p").build()).hasMessageContaining("reads no aggregate type");
        assertThatThrownBy(() -> Projection.named("p").on("A", (e, c) -> ReadModelChange.UNCHANGED)
            .on("A", (e, c) -> ReadModelChange.UNCHANGED)).hasMessageContaining("already has a handler for A");
    }

    @Test
    void retryBackoffGrowsWithJitterUpToTheCap() {
        RetryPolicy policy = new RetryPolicy(5, Duration.ofMillis(100), Duration.ofMillis(400));

        assertThat(policy.backoffAfter(1)).isBetween(Duration.ofMillis(50), Duration.ofMillis(100));
        assertThat(policy.backoffAfter(2)).isBetween(Duration.ofMillis(100), Duration.ofMillis(200));
        assertThat(policy.backoffAfter(10)).isBetween(Duration.ofMillis(200), Duration.ofMillis(400));
    }
}
