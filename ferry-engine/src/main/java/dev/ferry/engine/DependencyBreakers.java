package dev.ferry.engine;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;

/**
 * One resilience4j circuit breaker per downstream dependency a handler calls. A call refused by an open breaker, one
 * that failed while its breaker is not closed, or one that could not reach the dependency at all (connection refused
 * or timed out, host unknown) — the dependency is down, not this event — surfaces as {@link DependencyUnavailable}: the
 * runtime then pauses instead of spending the event's retry budget, so an outage parks nothing even before enough
 * calls have failed to open the breaker (on a quiet partition that takes longer than an event's retries).
 */
final class DependencyBreakers {

    private final CircuitBreakerRegistry registry;
    private final Duration openFor;

    DependencyBreakers(ProcessorSettings.Breaker settings) {
        this.openFor = settings.openFor();
        this.registry = CircuitBreakerRegistry.of(CircuitBreakerConfig.custom()
            .failureRateThreshold(settings.failureRatePercent())
            .minimumNumberOfCalls(settings.minimumCalls())
            .slidingWindowSize(settings.windowSize())
            .waitDurationInOpenState(settings.openFor())
            .permittedNumberOfCallsInHalfOpenState(1)
            .build());
    }

    <T> T call(String dependency, Callable<T> call) throws Exception {
        CircuitBreaker breaker = registry.circuitBreaker(dependency);
        try {
            return breaker.executeCallable(call);
        } catch (CallNotPermittedException refused) {
            throw new DependencyUnavailable(dependency, refused, true);
        } catch (Exception failed) {
            if (breaker.getState() != CircuitBreaker.State.CLOSED) {
                throw new DependencyUnavailable(dependency, failed, true);
            }
            if (unreachable(failed)) {
                // Retried at the event's backoff, each attempt still counted by the breaker, so that it opens.
                throw new DependencyUnavailable(dependency, failed, false);
            }
            throw failed;
        }
    }

    /** Whether the call never reached the dependency: nothing about this event was judged. */
    static boolean unreachable(Throwable failed) {
        for (Throwable cause = failed; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.net.ConnectException || cause instanceof java.net.http.HttpConnectTimeoutException
                || cause instanceof java.net.UnknownHostException || cause instanceof java.net.NoRouteToHostException) {
                return true;
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return false;
    }

    /** How long an open breaker waits before letting a probe through. */
    Duration openFor() {
        return openFor;
    }

    Map<String, String> states() {
        return registry.getAllCircuitBreakers().stream()
            .collect(Collectors.toMap(CircuitBreaker::getName, b -> b.getState().name()));
    }

    /** The dependency is down: not this event's fault. */
    static final class DependencyUnavailable extends Exception {

        private final boolean breakerOpen;

        DependencyUnavailable(String dependency, Throwable cause, boolean breakerOpen) {
            super("dependency " + dependency + " is unavailable: " + cause.getMessage(), cause);
            this.breakerOpen = breakerOpen;
        }

        /** Whether its breaker is open (probe again at its interval) rather than still closed (retry at the backoff). */
        boolean breakerOpen() {
            return breakerOpen;
        }
    }
}
