package dev.ferry.core.wire;

import java.util.Arrays;

/**
 * JSON written straight into UTF-8 bytes, in a buffer that is reused record after record: the relay writes each
 * record's value once, with no intermediate {@code StringBuilder}, {@code String} or encoder, and copies it out once
 * ({@link #toByteArray()}) for the transport, which keeps the array until the broker acknowledges it. The bytes are
 * exactly {@code String.getBytes(UTF_8)} of the same JSON as text (a lone surrogate becomes {@code ?}, as there).
 * Not thread-safe: one buffer per writing thread.
 */
public final class JsonBuffer {

    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] NULL = {'n', 'u', 'l', 'l'};
    private static final byte[] LONG_MIN = Long.toString(Long.MIN_VALUE).getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private byte[] bytes;
    private int length;

    public JsonBuffer() {
        this(1024);
    }

    public JsonBuffer(int capacity) {
        bytes = new byte[capacity];
    }

    /** Empties the buffer for the next record; keeps its capacity. */
    public JsonBuffer reset() {
        length = 0;
        return this;
    }

    public int length() {
        return length;
    }

    /** The bytes written since {@link #reset()}, as a new array. */
    public byte[] toByteArray() {
        return Arrays.copyOf(bytes, length);
    }

    /** The bytes written since {@link #reset()}, as text. */
    public String text() {
        return new String(bytes, 0, length, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** A byte that is an ASCII character of the JSON's syntax. */
    public JsonBuffer ascii(char c) {
        ensure(1);
        bytes[length++] = (byte) c;
        return this;
    }

    /** Text known to be ASCII (the format's own punctuation and field names), as it is. */
    public JsonBuffer ascii(String text) {
        int n = text.length();
        ensure(n);
        text.getBytes(0, n, bytes, length); // deprecated for its lossy char-to-byte cast, which ASCII does not suffer
        length += n;
        return this;
    }

    /** Ready-made bytes (a constant's UTF-8), as they are. */
    public JsonBuffer bytes(byte[] utf8) {
        ensure(utf8.length);
        System.arraycopy(utf8, 0, bytes, length, utf8.length);
        length += utf8.length;
        return this;
    }

    /** A decimal integer. */
    public JsonBuffer number(long value) {
        if (value == Long.MIN_VALUE) {
            return bytes(LONG_MIN);
        }
        ensure(20);
        if (value < 0) {
            bytes[length++] = '-';
            value = -value;
        }
        int digits = 1;
        for (long rest = value / 10; rest != 0; rest /= 10) {
            digits++;
        }
        int at = length + digits;
        length = at;
        do {
            bytes[--at] = (byte) ('0' + (value % 10));
            value /= 10;
        } while (value != 0);
        return this;
    }

    /** Text that is JSON already (a payload, a document), as UTF-8. */
    public JsonBuffer raw(String json) {
        utf8(json, false);
        return this;
    }

    /**
     * {@code value} as a JSON string literal, or {@code null}: {@code "} and {@code \} escaped, {@code \n \r \t} by
     * their letters, the other control characters as a six-character u00XX escape; everything else as it is (UTF-8).
     */
    public JsonBuffer string(String value) {
        if (value == null) {
            return bytes(NULL);
        }
        ensure(2);
        bytes[length++] = '"';
        utf8(value, true);
        ensure(1);
        bytes[length++] = '"';
        return this;
    }

    private void utf8(String text, boolean escape) {
        int n = text.length();
        ensure(n); // enough for ASCII; anything else grows as it goes
        byte[] out = bytes;
        int at = length;
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c >= 0x20 && c < 0x80 && (!escape || (c != '"' && c != '\\'))) {
                if (at == out.length) {
                    length = at;
                    ensure(n - i);
                    out = bytes;
                }
                out[at++] = (byte) c;
                continue;
            }
            length = at;
            ensure(12);
            out = bytes;
            if (c < 0x80) { // a control character, or a quote or backslash to escape
                if (!escape) {
                    out[at++] = (byte) c;
                } else {
                    at = escaped(out, at, c);
                }
            } else if (c < 0x800) {
                out[at++] = (byte) (0xc0 | (c >> 6));
                out[at++] = (byte) (0x80 | (c & 0x3f));
            } else if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                    int cp = Character.toCodePoint(c, text.charAt(++i));
                    out[at++] = (byte) (0xf0 | (cp >> 18));
                    out[at++] = (byte) (0x80 | ((cp >> 12) & 0x3f));
                    out[at++] = (byte) (0x80 | ((cp >> 6) & 0x3f));
                    out[at++] = (byte) (0x80 | (cp & 0x3f));
                } else {
                    out[at++] = '?'; // what String.getBytes(UTF_8) makes of a lone surrogate
                }
            } else {
                out[at++] = (byte) (0xe0 | (c >> 12));
                out[at++] = (byte) (0x80 | ((c >> 6) & 0x3f));
                out[at++] = (byte) (0x80 | (c & 0x3f));
            }
            length = at;
        }
        length = at;
    }

    private static int escaped(byte[] out, int at, char c) {
        out[at++] = '\\';
        switch (c) {
            case '"' -> out[at++] = '"';
            case '\\' -> out[at++] = '\\';
            case '\n' -> out[at++] = 'n';
            case '\r' -> out[at++] = 'r';
            case '\t' -> out[at++] = 't';
            default -> {
                out[at++] = 'u';
                out[at++] = '0';
                out[at++] = '0';
                out[at++] = HEX[c >> 4];
                out[at++] = HEX[c & 0xf];
            }
        }
        return at;
    }

    private void ensure(int more) {
        if (length + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
        }
    }
}
