package dev.ferry.postgres.replica;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.EntityOperation;
import dev.ferry.core.event.EntityVersion;

/** Entity changes for tests: version n is cluster time (n, 1), position 1. */
final class PatientChanges {

    static final String ENTITY = "patient";

    private PatientChanges() {
    }

    static EntityVersion v(long n) {
        return EntityVersion.ofClusterTime(n, 1, 1);
    }

    static EntityChange create(String id, long version, String documentJson) {
        return change(id, EntityOperation.CREATE, version, documentJson);
    }

    static EntityChange update(String id, long version, String documentJson) {
        return change(id, EntityOperation.UPDATE, version, documentJson);
    }

    static EntityChange delete(String id, long version) {
        return change(id, EntityOperation.DELETE, version, null);
    }

    /** A small patient document whose name says its version. */
    static String patient(String id, long version) {
        return "{\"_id\": \"" + id + "\", \"name\": \"v" + version + "\", \"visits\": {\"$numberLong\": \"" + version + "\"}}";
    }

    private static EntityChange change(String id, EntityOperation operation, long version, String documentJson) {
        return new EntityChange(ENTITY, id, operation, v(version), documentJson, null, "clinic", "patients", version, 1);
    }
}
