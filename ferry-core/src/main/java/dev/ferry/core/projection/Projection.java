package dev.ferry.core.projection;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import dev.ferry.core.event.Event;

/**
 * A read model built from events: a handler per event type. Events of types without a handler are not errors;
 * they advance the aggregate's version and change nothing else.
 *
 * <pre>{@code
 * Projection patients = Projection.named("patients")
 *     .forAggregateTypes("patient")
 *     .on("PatientRegistered", (event, ctx) -> new ReadModelChange.Put(event.payloadJson()))
 *     .on("PatientUpdated", (event, ctx) -> new ReadModelChange.Merge(event.payloadJson()))
 *     .on("PatientDischarged", (event, ctx) -> ReadModelChange.REMOVE)
 *     .build();
 * }</pre>
 */
public final class Projection {

    private final String name;
    private final Set<String> aggregateTypes;
    private final Map<String, EventHandler> handlers;
    private final EventHandler otherwise;

    private Projection(String name, Set<String> aggregateTypes, Map<String, EventHandler> handlers,
                       EventHandler otherwise) {
        this.name = name;
        this.aggregateTypes = Set.copyOf(aggregateTypes);
        this.handlers = Map.copyOf(handlers);
        this.otherwise = otherwise;
    }

    public static Builder named(String name) {
        return new Builder(name);
    }

    /** Names the read model (its collection) and the consumer group. */
    public String name() {
        return name;
    }

    /** The aggregate types (topics) it reads. */
    public Set<String> aggregateTypes() {
        return aggregateTypes;
    }

    /** The change this projection makes for an event. */
    public ReadModelChange apply(Event event, HandlerContext context) throws Exception {
        EventHandler handler = handlers.getOrDefault(event.eventType(), otherwise);
        return handler == null ? ReadModelChange.UNCHANGED : handler.handle(event, context);
    }

    public static final class Builder {
        private final String name;
        private final Set<String> aggregateTypes = new LinkedHashSet<>();
        private final Map<String, EventHandler> handlers = new HashMap<>();
        private EventHandler otherwise;

        private Builder(String name) {
            if (name == null || !name.matches("[A-Za-z0-9_-]+")) {
                throw new IllegalArgumentException("projection name '" + name + "' may only contain A-Z a-z 0-9 _ -");
            }
            this.name = name;
        }

        public Builder forAggregateTypes(String... types) {
            aggregateTypes.addAll(Set.of(types));
            return this;
        }

        public Builder on(String eventType, EventHandler handler) {
            Objects.requireNonNull(handler, "handler");
            if (handlers.putIfAbsent(eventType, handler) != null) {
                throw new IllegalArgumentException("projection " + name + " already has a handler for " + eventType);
            }
            return this;
        }

        /** The handler for event types without their own (by default: none, the event changes nothing). */
        public Builder otherwise(EventHandler handler) {
            this.otherwise = Objects.requireNonNull(handler, "handler");
            return this;
        }

        public Projection build() {
            if (aggregateTypes.isEmpty()) {
                throw new IllegalArgumentException("projection " + name + " reads no aggregate type");
            }
            return new Projection(name, aggregateTypes, handlers, otherwise);
        }
    }
}
