package dev.ferry.core.subscription;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.EventConditions.test;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

import dev.ferry.core.relay.spi.RecordPublisher;
import dev.ferry.core.subscription.InMemoryBroker.Fault;
import dev.ferry.core.subscription.contract.TransportContract;

/**
 * The transport contract can fail: run by JUnit's test kit against a transport in memory, it passes the correct one
 * and fails each deliberately broken one in the scenario about the rule it breaks, for that reason.
 */
class TransportContractCanFailTest {

    private static final String ORDER = "eachKeysRecordsArriveInPublishOrderAcrossPartitionsAndInstances";
    private static final String REDELIVERY = "aSubscriberKilledBeforeAcknowledgingHasItsRecordsGivenAgainToTheNextOwner";
    private static final String HAND_OVER = "ownershipHandedOverAsInstancesJoinAndLeaveLosesAndReordersNothing";
    private static final String REFUSALS = "whatNoTransportCanCarryIsRefusedWhilePreparingNamingTheFieldAndTheRule";

    @Test
    void aCorrectTransportPassesEveryScenario() {
        run(Correct.class).assertStatistics(stats -> stats.started(4).succeeded(4).failed(0).aborted(0));
    }

    @Test
    void aSubscriptionThatAcknowledgesBeforeTheHandlerRanFailsTheCrashScenario() {
        assertFails(AcknowledgesOnDelivery.class, REDELIVERY, "the records a held, given again to the next owner");
    }

    @Test
    void aSubscriptionThatForgetsAcknowledgementsFailsTheCrashScenario() {
        assertFails(ForgetsAcknowledgements.class, REDELIVERY, "below the acknowledged position");
    }

    @Test
    void aSubscriptionThatDeliversAKeysRecordsOutOfOrderFailsTheOrderScenario() {
        assertFails(ReordersAKey.class, ORDER, "keys out of order");
    }

    @Test
    void aSubscriptionThatLetsTwoInstancesOwnAPartitionFailsTheOrderAndHandOverScenarios() {
        assertFails(SharesPartitions.class, ORDER, "owned by two at once");
        assertFails(SharesPartitions.class, HAND_OVER, "owned by two at once");
    }

    @Test
    void aPublisherThatSendsTheReservedTypeFailsTheRefusalScenario() {
        assertFails(AcceptsReservedTypes.class, REFUSALS, "the reserved dead-letter type");
    }

    /** Runs only the scenario about the broken rule (the others may fail too, or wait out their patience). */
    private static void assertFails(Class<? extends TransportContract> transport, String scenario, String because) {
        EngineTestKit.engine("junit-jupiter").selectors(selectMethod(transport, scenario)).execute().testEvents()
            .assertThatEvents()
            .haveExactly(1, event(test(scenario), finishedWithFailure(message(m -> m.contains(because)))));
    }

    private static Events run(Class<? extends TransportContract> transport) {
        return EngineTestKit.engine("junit-jupiter").selectors(selectClass(transport)).execute().testEvents();
    }

    /**
     * The contract over a fresh broker per scenario. Nested here, and not named *Test, so that only the test kit runs
     * it (surefire skips nested classes).
     */
    abstract static class InMemoryContract extends TransportContract {

        private final InMemoryBroker broker;

        InMemoryContract(Fault fault) {
            broker = new InMemoryBroker(fault);
        }

        @Override
        protected RecordPublisher publisher() {
            return new InMemoryPublisher(broker);
        }

        @Override
        protected PartitionedSubscription subscription(String group, String instance) {
            return new InMemorySubscription(broker, group);
        }

        @Override
        protected void crash(PartitionedSubscription subscription) {
            subscription.abandon();
        }

        @Override
        protected int partitions() {
            return InMemoryBroker.PARTITIONS;
        }

        @Override
        protected String sizeLimit() {
            return InMemoryPublisher.SIZE_LIMIT;
        }

        /** Everything happens at once in memory: what has not happened in 2 s never will. */
        @Override
        protected Duration patience() {
            return Duration.ofSeconds(2);
        }
    }

    static class Correct extends InMemoryContract {
        Correct() {
            super(Fault.NONE);
        }
    }

    static class AcknowledgesOnDelivery extends InMemoryContract {
        AcknowledgesOnDelivery() {
            super(Fault.ACKNOWLEDGES_ON_DELIVERY);
        }
    }

    static class ForgetsAcknowledgements extends InMemoryContract {
        ForgetsAcknowledgements() {
            super(Fault.FORGETS_ACKNOWLEDGEMENTS);
        }
    }

    static class ReordersAKey extends InMemoryContract {
        ReordersAKey() {
            super(Fault.REORDERS_A_KEY);
        }
    }

    static class SharesPartitions extends InMemoryContract {
        SharesPartitions() {
            super(Fault.SHARES_PARTITIONS);
        }
    }

    static class AcceptsReservedTypes extends InMemoryContract {
        AcceptsReservedTypes() {
            super(Fault.ACCEPTS_RESERVED_TYPES);
        }
    }
}
