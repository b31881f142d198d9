package dev.ferry.core.wire;

import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;

/**
 * Reads an event timestamp. {@link Instant#parse} goes through the general {@code DateTimeFormatter} machinery,
 * which a projector measured at about a third of its per-event handling time; the form Ferry itself writes
 * ({@link Instant#toString}: {@code 2026-11-23T16:00:00.123Z}, 0 to 9 fraction digits) is read directly, and
 * anything else (offsets, lower case, leap seconds, years beyond 9999) is left to {@link Instant#parse}, so the result
 * and the errors are always exactly {@link Instant#parse}'s.
 */
public final class IsoInstant {

    private IsoInstant() {
    }

    /**
     * @throws DateTimeParseException if {@code text} is not an ISO-8601 instant
     */
    public static Instant parse(String text) {
        Instant fast = fastPath(text);
        return fast != null ? fast : Instant.parse(text);
    }

    /** {@code yyyy-MM-ddTHH:mm:ss[.f…]Z} read directly, or null when {@code text} is any other form. */
    private static Instant fastPath(String text) {
        int length = text.length();
        if (length < 20 || length == 21 || length > 30 || text.charAt(4) != '-' || text.charAt(7) != '-'
            || text.charAt(10) != 'T' || text.charAt(13) != ':' || text.charAt(16) != ':'
            || text.charAt(length - 1) != 'Z' || (length > 20 && text.charAt(19) != '.')) {
            return null;
        }
        int year = digits(text, 0, 4);
        int month = digits(text, 5, 7);
        int day = digits(text, 8, 10);
        int hour = digits(text, 11, 13);
        int minute = digits(text, 14, 16);
        int second = digits(text, 17, 19);
        int nanos = 0;
        if (length > 20) {
            int fraction = digits(text, 20, length - 1);
            if (fraction < 0) {
                return null;
            }
            nanos = fraction;
            for (int i = length - 1 - 20; i < 9; i++) {
                nanos *= 10;
            }
        }
        if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0
            || minute > 59 || second < 0 || second > 59 || day > LocalDate.of(year, month, 1).lengthOfMonth()) {
            return null; // invalid or unusual (e.g. a leap second): Instant.parse decides
        }
        long epochDay = LocalDate.of(year, month, day).toEpochDay();
        return Instant.ofEpochSecond(epochDay * 86_400 + hour * 3_600L + minute * 60L + second, nanos);
    }

    /** Years 1970 to 9999, where {@link Instant#toString} writes {@code yyyy-MM-ddTHH:mm:ss[.fff[fff[fff]]]Z}. */
    private static final long WRITTEN_DIRECTLY_UNTIL = 253_402_300_800L;

    /**
     * Appends {@code instant} exactly as {@link Instant#toString} writes it (ISO-8601, UTC, the fraction in groups of
     * three digits, none when zero), without its formatter: the relay writes one into every event's record. Instants
     * before 1970 or after 9999 are left to {@link Instant#toString}.
     */
    public static void write(Instant instant, JsonBuffer json) {
        long seconds = instant.getEpochSecond();
        if (seconds < 0 || seconds >= WRITTEN_DIRECTLY_UNTIL) {
            json.ascii(instant.toString());
            return;
        }
        long days = seconds / 86_400;
        int secondOfDay = (int) (seconds % 86_400);
        LocalDate date = LocalDate.ofEpochDay(days);
        digits(json, date.getYear(), 4).ascii('-');
        digits(json, date.getMonthValue(), 2).ascii('-');
        digits(json, date.getDayOfMonth(), 2).ascii('T');
        digits(json, secondOfDay / 3_600, 2).ascii(':');
        digits(json, secondOfDay / 60 % 60, 2).ascii(':');
        digits(json, secondOfDay % 60, 2);
        int nanos = instant.getNano();
        if (nanos != 0) {
            json.ascii('.');
            if (nanos % 1_000_000 == 0) {
                digits(json, nanos / 1_000_000, 3);
            } else if (nanos % 1_000 == 0) {
                digits(json, nanos / 1_000, 6);
            } else {
                digits(json, nanos, 9);
            }
        }
        json.ascii('Z');
    }

    private static JsonBuffer digits(JsonBuffer json, int value, int width) {
        for (int divisor = pow10(width - 1); divisor > 0; divisor /= 10) {
            json.ascii((char) ('0' + value / divisor % 10));
        }
        return json;
    }

    private static int pow10(int exponent) {
        int value = 1;
        for (int i = 0; i < exponent; i++) {
            value *= 10;
        }
        return value;
    }

    /** The decimal number in {@code text[from, to)}, or -1 if a character there is not a digit. */
    private static int digits(String text, int from, int to) {
        int value = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }
}
