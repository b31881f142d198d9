package dev.ferry.core.lease;

import static dev.ferry.core.lease.PartitionLeaseVectors.named;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Ferry's lease code passes the language-neutral conformance vectors of {@code contracts/partition-leases.json}
 * (sections {@code observer} and {@code leadership}; the Node client passes them too), so a Java and a Node instance
 * take, keep and give up a lease at the same instants. Times in the file are milliseconds of a monotonic clock; here
 * they are nanoseconds of a fake one, and {@link Leadership#tick()} is driven by hand (no thread is started).
 */
class PartitionLeaseConformanceTest {

    private static PartitionLeaseVectors vectors;
    private static LeaseTiming timing;

    @BeforeAll
    static void readVectors() {
        vectors = PartitionLeaseVectors.read();
        JsonNode t = vectors.get("timing");
        timing = new LeaseTiming(Duration.ofMillis(t.get("ttlMs").asLong()),
            Duration.ofMillis(t.get("renewIntervalMs").asLong()), Duration.ofMillis(t.get("checkIntervalMs").asLong()),
            Duration.ofMillis(t.get("marginMs").asLong()));
    }

    @TestFactory
    Stream<DynamicTest> observer() {
        return vectors.section("observer").map(vector -> named(vector.get("name").asText(), () -> {
            LeaseObserver observer = new LeaseObserver(nanos(vector.get("ttlMs")));
            for (JsonNode step : vector.get("steps")) {
                long at = nanos(step.get("at"));
                if (step.has("observe")) {
                    observer.observe(lease("lease", step.get("observe")), at);
                }
                if (step.has("mayTake")) {
                    assertThat(observer.mayTake(at)).as("mayTake at %s ms", step.get("at"))
                        .isEqualTo(step.get("mayTake").asBoolean());
                }
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> leadership() {
        return vectors.section("leadership").map(vector -> named(vector.get("name").asText(), () -> {
            String name = vector.get("lease").asText();
            InMemoryLeaseStore store = new InMemoryLeaseStore();
            store.overwrite(name, lease(name, vector.get("stored")));
            AtomicLong clock = new AtomicLong();
            Map<String, Leadership> instances = new HashMap<>();
            try {
                for (JsonNode step : vector.get("steps")) {
                    clock.set(nanos(step.get("at")));
                    String what = "at " + step.get("at") + " ms: " + step;
                    if (step.has("tick")) {
                        Leadership instance = instances.computeIfAbsent(step.get("tick").asText(),
                            id -> new Leadership(store, name, id, timing, clock::get));
                        instance.tick();
                        if (step.has("leads")) {
                            JsonNode leads = step.get("leads");
                            if (leads.isNull()) {
                                assertThat(instance.currentEpoch()).as(what).isEmpty();
                            } else {
                                assertThat(instance.currentEpoch()).as(what).hasValue(leads.asLong());
                            }
                        }
                    } else if (step.has("close")) {
                        instances.get(step.get("close").asText()).close();
                    } else if (step.has("valid")) {
                        assertThat(instances.get(step.get("valid").asText()).isValid(step.get("epoch").asLong()))
                            .as(what).isEqualTo(step.get("is").asBoolean());
                    } else if (step.has("store")) {
                        store.overwrite(name, lease(name, step.get("store")));
                    } else {
                        fail("a step this test does not know: " + step);
                    }
                    if (step.has("stored")) {
                        assertThat(store.read(name)).as(what + " (stored)").isEqualTo(lease(name, step.get("stored")));
                    }
                }
            } finally {
                instances.values().forEach(Leadership::kill); // writes nothing; no thread was started
            }
        }));
    }

    private static long nanos(JsonNode millis) {
        return TimeUnit.MILLISECONDS.toNanos(millis.asLong());
    }

    /** A lease as the file writes it: null for no document, else {owner (null when released), epoch, renewals}. */
    private static Optional<Lease> lease(String name, JsonNode lease) {
        if (lease == null || lease.isNull()) {
            return Optional.empty();
        }
        JsonNode owner = lease.get("owner");
        return Optional.of(new Lease(name, owner.isNull() ? null : owner.asText(), lease.get("epoch").asLong(),
            lease.get("renewals").asLong()));
    }
}
