package dev.ferry.core.projection;

import java.util.concurrent.Callable;

/** What a handler gets besides the event. */
public interface HandlerContext {

    /**
     * The key to send with side effects (e.g. an {@code Idempotency-Key} header on a REST call): delivery is
     * at-least-once, so a handler may run again for the same event; the key is the event id.
     */
    String idempotencyKey();

    /**
     * Calls a downstream dependency through Ferry's circuit breaker for it. While the breaker is open the call is
     * refused without being made, and the runtime pauses instead of retrying or parking.
     *
     * @param dependency names the breaker, e.g. {@code "billing-api"}
     */
    <T> T call(String dependency, Callable<T> call) throws Exception;
}
