package dev.ferry.mongodb.entity;

/**
 * How large an entity change's record would be: its value (the JSON around the documents, the documents) and the
 * headers beside it (the key in the record key, the value, {@code ce_id} and {@code ce_subject}; the version in the
 * value, {@code ce_id} and {@code ce_ferryversion}), in UTF-8 bytes.
 */
final class RecordSize {

    /** The record's JSON around the document(s) and the fixed headers: names, id, version, source, cluster time. */
    private static final int ENVELOPE_BYTES = 512;

    private RecordSize() {
    }

    static long of(String key, String version, String documentJson, String beforeJson) {
        return ENVELOPE_BYTES + 4 * utf8Length(key) + 3L * version.length() + utf8Length(documentJson)
            + utf8Length(beforeJson);
    }

    private static long utf8Length(String text) {
        if (text == null) {
            return 0;
        }
        long bytes = text.length();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x80) {
                bytes += c >= 0x800 && !Character.isSurrogate(c) ? 2 : 1; // a surrogate pair: 2 + 2 = 4
            }
        }
        return bytes;
    }
}
