package dev.ferry.core.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Ferry's lease code passes the language-neutral conformance vectors of {@code contracts/partition-leases.json}
 * (sections {@code observer} and {@code leadership}; the Node client passes them too), so a Java and a Node instance
 * take, keep and give up a lease at the same instants. Times in the file are milliseconds of a monotonic clock; here
 * they are nanoseconds of a fake one, and {@link Leadership#tick()} is driven by hand (no thread is started).
 */
class PartitionLeaseConformanceTest {

    private static final Path VECTORS = Path.of("..", "contracts", "partition-leases.json");

    private static JsonNode file;
    private static LeaseTiming timing;

    @BeforeAll
    static void readVectors() throws IOException {
        file = new ObjectMapper().readTree(VECTORS.toFile());
        JsonNode t = file.get("timing");
        timing = new LeaseTiming(Duration.ofMillis(t.get("ttlMs").asLong()),
            Duration.ofMillis(t.get("renewIntervalMs").asLong()), Duration.ofMillis(t.get("checkIntervalMs").asLong()),
            Duration.ofMillis(t.get("marginMs").asLong()));
    }

    @TestFactory
    Stream<DynamicTest> observer() {
        return section("observer").map(vector -> named(vector.get("name").asText(), () -> {
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
        return section("leadership").map(vector -> named(vector.get("name").asText(), () -> {
            String name = vector.get("lease").asText();
            CompareAndSetLeaseStore store = new CompareAndSetLeaseStore();
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

    /**
     * A vector's test, named by it; a failure names it too, since Maven's report numbers dynamic tests instead.
     */
    private static DynamicTest named(String name, Executable check) {
        return dynamicTest(name, () -> {
            try {
                check.execute();
            } catch (AssertionError e) {
                throw new AssertionError(name + ": " + e.getMessage(), e);
            }
        });
    }

    private static Stream<JsonNode> section(String name) {
        JsonNode vectors = file.get(name);
        assertThat(vectors).as("section " + name).isNotEmpty();
        return StreamSupport.stream(vectors.spliterator(), false);
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

    /**
     * The writes of {@code MongoLeaseStore}, filter for filter: take an absent lease by insert (lost on a duplicate
     * key), a seen one on exactly its (owner, epoch, renewals); renew and release on (owner, epoch); remove on the
     * triple. The vectors are the protocol's, so the store must not be more lenient than MongoDB's.
     */
    private static final class CompareAndSetLeaseStore implements LeaseStore {

        private final Map<String, Lease> leases = new TreeMap<>();

        /** A {@code store} step: another instance (or the vector's start) wrote the lease, or deleted it. */
        void overwrite(String name, Optional<Lease> lease) {
            lease.ifPresentOrElse(l -> leases.put(name, l), () -> leases.remove(name));
        }

        @Override
        public Optional<Lease> read(String name) {
            return Optional.ofNullable(leases.get(name));
        }

        @Override
        public List<Lease> readAll(String namePrefix) {
            return leases.values().stream().filter(lease -> lease.name().startsWith(namePrefix)).toList();
        }

        @Override
        public Optional<Lease> tryAcquire(String name, String owner, Optional<Lease> seen) {
            Lease current = leases.get(name);
            if (seen.isEmpty()) {
                if (current != null) {
                    return Optional.empty(); // duplicate key
                }
                return put(new Lease(name, owner, 1, 0));
            }
            Lease was = seen.get();
            if (current == null || !sameTriple(current, was)) {
                return Optional.empty();
            }
            return put(new Lease(name, owner, current.epoch() + 1, 0));
        }

        @Override
        public boolean renew(String name, String owner, long epoch) {
            Lease current = leases.get(name);
            if (current == null || !Objects.equals(current.owner(), owner) || current.epoch() != epoch) {
                return false;
            }
            put(new Lease(name, owner, epoch, current.renewals() + 1));
            return true;
        }

        @Override
        public void release(String name, String owner, long epoch) {
            Lease current = leases.get(name);
            if (current != null && Objects.equals(current.owner(), owner) && current.epoch() == epoch) {
                put(new Lease(name, null, epoch, current.renewals() + 1));
            }
        }

        @Override
        public void remove(Lease seen) {
            Lease current = leases.get(seen.name());
            if (current != null && sameTriple(current, seen)) {
                leases.remove(seen.name());
            }
        }

        private Optional<Lease> put(Lease lease) {
            leases.put(lease.name(), lease);
            return Optional.of(lease);
        }

        private static boolean sameTriple(Lease a, Lease b) {
            return Objects.equals(a.owner(), b.owner()) && a.epoch() == b.epoch() && a.renewals() == b.renewals();
        }
    }
}
