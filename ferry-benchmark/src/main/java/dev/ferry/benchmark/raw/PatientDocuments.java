package dev.ferry.benchmark.raw;

import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.List;

import org.bson.Document;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;

/**
 * The patient documents of the replication benchmark: written to the source by its writers, and the same documents
 * (as the canonical Extended JSON a replica receives) upserted by the raw JDBC baseline. A small one has the usual
 * fields of a patient record with mixed BSON types (~400 bytes); a larger one carries clinical notes up to its size.
 */
public final class PatientDocuments {

    private static final JsonWriterSettings CANONICAL = JsonWriterSettings.builder().outputMode(JsonMode.EXTENDED).build();
    private static final Date BORN = new Date(-318_297_600_000L); // 1959-12-01

    private PatientDocuments() {
    }

    /** Patient {@code id} of about {@code bytes} bytes of Extended JSON (never smaller than the small document). */
    public static Document patient(String id, int bytes) {
        Document patient = new Document("_id", id)
            .append("name", new Document("family", "Lovelace").append("given", List.of("Ada", "Augusta")))
            .append("gender", "female")
            .append("birthDate", BORN)
            .append("active", true)
            .append("visits", 3L)
            .append("weightKg", 61.5)
            .append("address", new Document("line", List.of("12 St James's Square")).append("city", "London")
                .append("postalCode", "SW1Y 4JH").append("country", "GB"))
            .append("telecom", List.of(new Document("system", "phone").append("value", "+44 20 7946 0000")))
            .append("practitioner", "practitioner-" + Math.floorMod(id.hashCode(), 100));
        int missing = bytes - json(patient).length() - "\"notes\": \"\", ".length();
        if (missing > 0) {
            patient.append("notes", "n".repeat(missing));
        }
        return patient;
    }

    /** The document as a replica's write carries it: canonical Extended JSON. */
    public static String json(Document patient) {
        return patient.toJson(CANONICAL);
    }

    /** Size of the Extended JSON of patient documents of {@code bytes}: what a raw Kafka record carries. */
    public static int jsonBytes(int bytes) {
        return json(patient("patient-0", bytes)).getBytes(StandardCharsets.UTF_8).length;
    }
}
