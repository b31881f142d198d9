package dev.ferry.local.demo;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bson.Document;

import dev.ferry.core.event.Event;
import dev.ferry.core.projection.Projection;
import dev.ferry.core.projection.ReadModelChange;

/**
 * The demo's domain: patients and practitioners, registered, updated, discharged / removed. The read model is a
 * documented fold of each aggregate's events:
 * <ul>
 *   <li>{@code *Registered} sets the full state (the payload);</li>
 *   <li>{@code *Updated} merges the changed fields into it;</li>
 *   <li>{@code PatientDischarged} / {@code PractitionerRemoved} deletes the document (a tombstone keeps the version;
 *       a later registration starts a new state).</li>
 * </ul>
 */
public final class HealthcareDomain {

    public static final String PATIENT = "patient";
    public static final String PRACTITIONER = "practitioner";

    private HealthcareDomain() {
    }

    public static Projection readModel(String name) {
        return Projection.named(name).forAggregateTypes(PATIENT, PRACTITIONER)
            .on("PatientRegistered", (event, context) -> new ReadModelChange.Put(event.payloadJson()))
            .on("PatientUpdated", (event, context) -> new ReadModelChange.Merge(event.payloadJson()))
            .on("PatientDischarged", (event, context) -> ReadModelChange.REMOVE)
            .on("PractitionerRegistered", (event, context) -> new ReadModelChange.Put(event.payloadJson()))
            .on("PractitionerUpdated", (event, context) -> new ReadModelChange.Merge(event.payloadJson()))
            .on("PractitionerRemoved", (event, context) -> ReadModelChange.REMOVE)
            .build();
    }

    /**
     * The fold, written independently of the projection: the state an aggregate's events lead to, or null if it
     * ends removed.
     */
    public static Map<String, Object> fold(List<Event> events) {
        Map<String, Object> state = null;
        for (Event event : events) {
            Document payload = Document.parse(event.payloadJson());
            if (event.eventType().endsWith("Registered")) {
                state = new LinkedHashMap<>(payload);
            } else if (event.eventType().endsWith("Updated")) {
                if (state == null) {
                    state = new LinkedHashMap<>();
                }
                state.putAll(payload);
            } else if (event.eventType().equals("PatientDischarged") || event.eventType().equals("PractitionerRemoved")) {
                state = null;
            }
        }
        return state;
    }
}
