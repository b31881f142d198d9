package dev.ferry.core.projection;

import dev.ferry.core.event.Event;

/** Turns one event into a change of its aggregate's read model. May throw: the runtime retries, then parks. */
@FunctionalInterface
public interface EventHandler {

    ReadModelChange handle(Event event, HandlerContext context) throws Exception;
}
