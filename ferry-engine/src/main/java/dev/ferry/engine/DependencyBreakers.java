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
 * One resilience4j circuit breaker per downstream dependency a handler calls. A call refused by an open breaker,
 * or one that failed while its breaker is not closed (the dependency is down, not this event), surfaces as
 * {@link DependencyUnavailable}: the runtime then pauses instead of spending the event's retry budget.
 */
final class DependencyBreakers {

    private final CircuitBreakerRegistry registry;
    private final Duration openFor;

    DependencyBreakers(ProjectorSettings.Breaker settings) {
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
            throw new DependencyUnavailable(dependency, refused);
        } catch (Exception failed) {
            if (breaker.getState() != CircuitBreaker.State.CLOSED) {
                throw new DependencyUnavailable(dependency, failed);
            }
            throw failed;
        }
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
        DependencyUnavailable(String dependency, Throwable cause) {
            super("dependency " + dependency + " is unavailable: " + cause.getMessage(), cause);
        }
    }
}
