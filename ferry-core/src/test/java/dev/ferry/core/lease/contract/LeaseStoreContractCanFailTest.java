package dev.ferry.core.lease.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

import dev.ferry.core.lease.ForwardingLeaseStore;
import dev.ferry.core.lease.InMemoryLeaseStore;
import dev.ferry.core.lease.Lease;
import dev.ferry.core.lease.LeaseStore;

/**
 * The lease store contract fails a store that breaks it: each broken store below is the in-memory one with one
 * compare-and-set left out, as a mutation of the real store would leave it out.
 */
class LeaseStoreContractCanFailTest {

    @Test
    void aStoreThatGrantsAHeldLeaseFailsIt() {
        assertThat(failures(GrantsAHeldLease.class)).containsKeys("onlyTheInstanceThatSawTheCurrentLeaseCanTakeIt",
                "aHolderThatStopsRenewingIsTakenOverAndFenced", "ofRivalsTakingTheSameLeaseAsSeenExactlyOneWins")
            .allSatisfy((test, thrown) -> assertThat(thrown).isInstanceOf(AssertionError.class));
    }

    @Test
    void aStoreThatRenewsWhoeverHoldsTheLeaseFailsIt() {
        assertThat(failures(RenewsForAnyone.class)).containsKeys("onlyTheInstanceThatSawTheCurrentLeaseCanTakeIt",
                "aHolderThatStopsRenewingIsTakenOverAndFenced", "onlyTheHolderAtItsEpochRenewsOrReleases")
            .allSatisfy((test, thrown) -> assertThat(thrown).isInstanceOf(AssertionError.class));
    }

    @Test
    void theCorrectStorePassesIt() {
        assertThat(failures(Correct.class)).isEmpty();
    }

    /** The failed tests of a run of {@code contractTest}, by method name, with what each threw. */
    private static Map<String, Throwable> failures(Class<?> contractTest) {
        Events tests = EngineTestKit.engine("junit-jupiter").selectors(DiscoverySelectors.selectClass(contractTest))
            .execute().testEvents();
        assertThat(tests.started().count()).as("tests run").isPositive();
        Map<String, Throwable> failed = new TreeMap<>();
        tests.failed().stream()
            .forEach(event -> failed.put(((MethodSource) event.getTestDescriptor().getSource().orElseThrow()).getMethodName(),
                event.getPayload(TestExecutionResult.class).flatMap(TestExecutionResult::getThrowable).orElseThrow()));
        return failed;
    }

    static class Correct extends LeaseStoreContract {
        @Override
        protected LeaseStore newStore() {
            return new InMemoryLeaseStore();
        }
    }

    /** Takes the lease whatever the taker saw: as if it had seen the lease as it is now. */
    static class GrantsAHeldLease extends LeaseStoreContract {
        @Override
        protected LeaseStore newStore() {
            return new ForwardingLeaseStore(new InMemoryLeaseStore()) {
                @Override
                public Optional<Lease> tryAcquire(String name, String owner, Optional<Lease> seen) {
                    return store.tryAcquire(name, owner, store.read(name));
                }
            };
        }
    }

    /** Renews for anyone: as if the renewal were by the current holder at its epoch. */
    static class RenewsForAnyone extends LeaseStoreContract {
        @Override
        protected LeaseStore newStore() {
            return new ForwardingLeaseStore(new InMemoryLeaseStore()) {
                @Override
                public boolean renew(String name, String owner, long epoch) {
                    return store.read(name).filter(lease -> lease.owner() != null)
                        .map(lease -> store.renew(name, lease.owner(), lease.epoch())).orElse(false);
                }
            };
        }
    }
}
