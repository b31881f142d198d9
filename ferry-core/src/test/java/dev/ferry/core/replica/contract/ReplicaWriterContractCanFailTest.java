package dev.ferry.core.replica.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

import dev.ferry.core.replica.InMemoryReplica.Fault;
import dev.ferry.core.replica.InMemoryReplicaWriterTest;

/**
 * The replica writer contract fails a writer that breaks it: the in-memory replica with one part of the version
 * condition left out, as the mutations of the real writers leave it out.
 */
class ReplicaWriterContractCanFailTest {

    @Test
    void aWriterThatIgnoresTheStoredVersionFailsIt() {
        assertThat(failures(IgnoresTheStoredVersion.class)).containsKeys("changesOutOfOrderAndRedeliveredNeverGoBackInTime",
                "aTombstoneStopsAnOlderCreateOrUpdateFromResurrectingTheId",
                "redeliveredChangesAreReportedAsDuplicatesAndLeaveTheReplicaUnchanged",
                "aNewerVersionWrittenBetweenTheReadAndTheWriteIsNeverOverwritten")
            .allSatisfy((test, thrown) -> assertThat(thrown).isInstanceOf(AssertionError.class));
    }

    /** The race only the version condition of the write itself stops (what a read-then-write writer gets wrong). */
    @Test
    void aWriterWhoseWriteIsNotConditionalOnTheVersionItReadFailsIt() {
        assertThat(failures(WritesUnconditionally.class)).containsKey("aNewerVersionWrittenBetweenTheReadAndTheWriteIsNeverOverwritten")
            .allSatisfy((test, thrown) -> assertThat(thrown).isInstanceOf(AssertionError.class));
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

    static class IgnoresTheStoredVersion extends InMemoryReplicaWriterTest {
        @Override
        protected Fault fault() {
            return Fault.IGNORES_THE_STORED_VERSION;
        }
    }

    static class WritesUnconditionally extends InMemoryReplicaWriterTest {
        @Override
        protected Fault fault() {
            return Fault.WRITES_UNCONDITIONALLY;
        }
    }
}
