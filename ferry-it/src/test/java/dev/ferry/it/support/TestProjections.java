package dev.ferry.it.support;

import org.bson.Document;

import dev.ferry.core.projection.EventHandler;
import dev.ferry.core.projection.Projection;
import dev.ferry.core.projection.ReadModelChange;

/** Projections the tests run. */
public final class TestProjections {

    private TestProjections() {
    }

    /** Keeps the {@code n} of each aggregate's last {@code Changed} event (what {@link AppendLoad} appends). */
    public static Projection counter(String name) {
        return counter(name, (event, context) -> merge(event.payloadJson()));
    }

    /** As {@link #counter(String)}, with a handler that may do more (fail, call a dependency) before merging. */
    public static Projection counter(String name, EventHandler handler) {
        return Projection.named(name).forAggregateTypes("patient").on("Changed", handler).build();
    }

    public static ReadModelChange merge(String payloadJson) {
        Object n = Document.parse(payloadJson).get("n");
        return new ReadModelChange.Merge("{\"n\": " + n + "}");
    }
}
