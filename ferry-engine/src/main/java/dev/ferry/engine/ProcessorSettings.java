package dev.ferry.engine;

import java.time.Duration;
import java.util.Objects;

import dev.ferry.core.target.RetryPolicy;

/**
 * How a projector instance runs.
 *
 * @param laneThreads    aggregates processed in parallel (each aggregate strictly in order)
 * @param maxBuffered    records taken from the transport and not yet finished; beyond it the instance stops fetching
 * @param retry          retries of a failing event before it is parked
 * @param sessionTimeout how soon the group notices a dead instance and moves its partitions (classic protocol)
 * @param commitInterval least time between offset commits
 * @param requestPoll    how often operators' retry/skip requests are looked for
 * @param breaker        circuit breakers for handlers' calls to dependencies
 * @param pollingGivesUpAfter how long the polling thread may fail without getting through once (retrying with a
 *                       backoff) before it ends the work and hands its partitions over (2 minutes)
 */
public record ProcessorSettings(int laneThreads, int maxBuffered, RetryPolicy retry, Duration sessionTimeout,
                                Duration commitInterval, Duration requestPoll, Breaker breaker,
                                Duration pollingGivesUpAfter) {

    public static final ProcessorSettings DEFAULT = new ProcessorSettings(16, 5_000, RetryPolicy.DEFAULT,
        Duration.ofSeconds(6), Duration.ofMillis(100), Duration.ofSeconds(1), Breaker.DEFAULT, Duration.ofMinutes(2));

    public ProcessorSettings {
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(sessionTimeout, "sessionTimeout");
        Objects.requireNonNull(commitInterval, "commitInterval");
        Objects.requireNonNull(requestPoll, "requestPoll");
        Objects.requireNonNull(breaker, "breaker");
        Objects.requireNonNull(pollingGivesUpAfter, "pollingGivesUpAfter");
        if (pollingGivesUpAfter.isNegative() || pollingGivesUpAfter.isZero()) {
            throw new IllegalArgumentException("pollingGivesUpAfter must be positive: " + pollingGivesUpAfter);
        }
        if (laneThreads < 1 || maxBuffered < 1) {
            throw new IllegalArgumentException("laneThreads and maxBuffered must be at least 1");
        }
    }

    public ProcessorSettings withLaneThreads(int threads) {
        return new ProcessorSettings(threads, maxBuffered, retry, sessionTimeout, commitInterval, requestPoll, breaker,
            pollingGivesUpAfter);
    }

    public ProcessorSettings withRetry(RetryPolicy policy) {
        return new ProcessorSettings(laneThreads, maxBuffered, policy, sessionTimeout, commitInterval, requestPoll, breaker,
            pollingGivesUpAfter);
    }

    public ProcessorSettings withBreaker(Breaker settings) {
        return new ProcessorSettings(laneThreads, maxBuffered, retry, sessionTimeout, commitInterval, requestPoll, settings,
            pollingGivesUpAfter);
    }

    public ProcessorSettings withPollingGivesUpAfter(Duration limit) {
        return new ProcessorSettings(laneThreads, maxBuffered, retry, sessionTimeout, commitInterval, requestPoll, breaker,
            limit);
    }

    /**
     * Circuit breaker settings, one breaker per dependency.
     *
     * @param failureRatePercent failure rate that opens it
     * @param minimumCalls       calls before the rate counts
     * @param windowSize         calls in the sliding window
     * @param openFor            how long it stays open before one probe call goes through
     */
    public record Breaker(float failureRatePercent, int minimumCalls, int windowSize, Duration openFor) {

        public static final Breaker DEFAULT = new Breaker(50, 5, 20, Duration.ofSeconds(5));
    }
}
