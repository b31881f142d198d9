package dev.ferry.engine.ownership;

import static dev.ferry.core.lease.PartitionLeaseVectors.named;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import com.fasterxml.jackson.databind.JsonNode;

import dev.ferry.core.lease.Lease;
import dev.ferry.core.lease.LeaseStore;
import dev.ferry.core.lease.PartitionLeaseVectors;
import dev.ferry.core.subscription.PartitionId;

/**
 * Ferry's group membership and balance pass the language-neutral conformance vectors of
 * {@code contracts/partition-leases.json} (sections {@code membership}, {@code quotas} and {@code balance}; the Node
 * client passes them too), so that the members of a mixed Java and Node group agree on who is alive and who takes
 * which partitions. Membership runs on a fake monotonic clock; balance is {@link PartitionBalance}, which
 * {@link LeasedPartitionOwnership} runs every round.
 */
class PartitionLeaseConformanceTest {

    private static final PartitionLeaseVectors VECTORS = PartitionLeaseVectors.read();

    @TestFactory
    Stream<DynamicTest> membership() {
        return VECTORS.section("membership").map(vector -> named(vector.get("name").asText(), () -> {
            AtomicLong clock = new AtomicLong();
            MembersAsListed leases = new MembersAsListed();
            GroupMembership membership = new GroupMembership(leases, vector.get("group").asText(),
                TimeUnit.MILLISECONDS.toNanos(vector.get("ttlMs").asLong()), clock::get);
            for (JsonNode step : vector.get("steps")) {
                clock.set(TimeUnit.MILLISECONDS.toNanos(step.get("at").asLong()));
                leases.list(step.get("members"));
                String what = "at " + step.get("at") + " ms";
                assertThat(membership.alive(vector.get("self").asText())).as(what + ": alive")
                    .containsExactlyElementsOf(strings(step.get("alive")));
                assertThat(leases.removed).as(what + ": removed").containsExactlyElementsOf(strings(step.get("removed")));
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> quotas() {
        return VECTORS.section("quotas").map(vector -> named(
            vector.get("self").asText() + " of " + vector.get("members") + ", " + vector.get("partitions") + " partitions",
            () -> {
                PartitionBalance.Share share = PartitionBalance.Share.of(strings(vector.get("members")),
                    vector.get("self").asText(), vector.get("partitions").asInt());
                assertThat(share.sorted()).as("sorted").containsExactlyElementsOf(strings(vector.get("sorted")));
                assertThat(share.rank()).as("rank").isEqualTo(vector.get("rank").asInt());
                assertThat(share.quota()).as("quota").isEqualTo(vector.get("quota").asInt());
                assertThat(share.firstLook()).as("firstLook").isEqualTo(vector.get("firstLook").asInt());
            }));
    }

    @TestFactory
    Stream<DynamicTest> balance() {
        return VECTORS.section("balance").map(vector -> named(vector.get("name").asText(), () -> {
            JsonNode leases = vector.get("leases");
            PartitionBalance.Decision decision = PartitionBalance.decide(partitions(vector.get("partitions")),
                strings(vector.get("alive")), vector.get("self").asText(), partitions(vector.get("held")),
                Set.copyOf(partitions(vector.get("releaseRequested"))), partitions(vector.get("contending")),
                partition -> lease(partition, leases));
            assertThat(decision.release()).as("release").containsExactlyElementsOf(partitions(vector.get("release")));
            assertThat(decision.stopContending()).as("stopContending")
                .containsExactlyElementsOf(partitions(vector.get("stopContending")));
            assertThat(decision.contend()).as("contend").containsExactlyElementsOf(partitions(vector.get("contend")));
        }));
    }

    /** In a balance vector's leases a key absent is no lease document, null a released lease, a string the owner. */
    private static Optional<Lease> lease(PartitionId partition, JsonNode leases) {
        JsonNode owner = leases.get(partition.toString());
        if (owner == null) {
            return Optional.empty();
        }
        return Optional.of(new Lease(LeasedPartitionOwnership.leaseName("g", partition),
            owner.isNull() ? null : owner.asText(), 1, 0));
    }


    private static List<String> strings(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
    }

    /** {@code [["patient", 0], ...]}. */
    private static List<PartitionId> partitions(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false)
            .map(pair -> new PartitionId(pair.get(0).asText(), pair.get(1).asInt())).toList();
    }

    /** The member leases as a step lists them; records what membership removes. Nothing else is used. */
    private static final class MembersAsListed implements LeaseStore {

        private List<Lease> members = List.of();
        final List<String> removed = new ArrayList<>();

        void list(JsonNode step) {
            members = StreamSupport.stream(step.spliterator(), false).map(member -> new Lease(member.get("name").asText(),
                member.get("owner").isNull() ? null : member.get("owner").asText(), member.get("epoch").asLong(),
                member.get("renewals").asLong())).toList();
            removed.clear();
        }

        @Override
        public List<Lease> readAll(String namePrefix) {
            return members.stream().filter(member -> member.name().startsWith(namePrefix)).toList();
        }

        @Override
        public void remove(Lease seen) {
            removed.add(seen.name()); // every removal asked for counts, whether or not the store would match it
        }

        @Override
        public Optional<Lease> read(String name) {
            throw new UnsupportedOperationException("membership reads all members at once");
        }

        @Override
        public Optional<Lease> tryAcquire(String name, String owner, Optional<Lease> seen) {
            throw new UnsupportedOperationException("membership takes no lease");
        }

        @Override
        public boolean renew(String name, String owner, long epoch) {
            throw new UnsupportedOperationException("membership renews no lease");
        }

        @Override
        public void release(String name, String owner, long epoch) {
            throw new UnsupportedOperationException("membership releases no lease");
        }
    }
}
