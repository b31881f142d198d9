package dev.ferry.core.projection.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

import dev.ferry.core.projection.InMemoryReadModelWriterTest;
import dev.ferry.core.projection.InMemoryReadModels.Fault;

/** The read-model writer contract fails a writer that applies a duplicate again, as the mutation of the real one does. */
class ReadModelWriterContractCanFailTest {

    @Test
    void aWriterThatReappliesADuplicateFailsIt() {
        assertThat(failures(ReappliesDuplicates.class)).containsKeys("appliesInVersionOrderAndSkipsDuplicates",
                "aReplayedRunIsReportedAsDuplicatesNotAsApplied", "aRunWithRepeatedVersionsAppliesEachOnceAndStopsAtAGap")
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

    static class ReappliesDuplicates extends InMemoryReadModelWriterTest {
        @Override
        protected Fault fault() {
            return Fault.REAPPLIES_DUPLICATES;
        }
    }
}
