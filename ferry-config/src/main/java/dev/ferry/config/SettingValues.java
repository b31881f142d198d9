package dev.ferry.config;

import java.util.List;
import java.util.function.Predicate;

/** Defaults and checks the configuration records apply in their constructors; every failure is a {@link SettingError}. */
final class SettingValues {

    private SettingValues() {
    }

    /** Trimmed {@code value}, or {@code fallback} when it is absent or blank. */
    static String text(String value, String fallback) {
        return value == null || value.isBlank() ? fallback : value.trim();
    }

    static String required(String key, String value, String expected, Predicate<String> valid) {
        if (value == null || value.isBlank()) {
            throw SettingError.missing(key, expected);
        }
        if (!valid.test(value.trim())) {
            throw SettingError.invalid(key, "expected " + expected + ", got '" + value + "'");
        }
        return value.trim();
    }

    static int wholeNumber(String key, Integer value, int fallback, int min, int max) {
        int number = value == null ? fallback : value;
        if (number < min || number > max) {
            throw SettingError.invalid(key, wholeNumberFrom(min, max) + ", got " + number);
        }
        return number;
    }

    static String wholeNumberFrom(int min, int max) {
        return "expected a whole number from " + min + " to " + max;
    }

    static boolean flag(Boolean value, boolean fallback) {
        return value == null ? fallback : value;
    }

    static List<String> list(String key, List<String> values) {
        if (values == null) {
            return List.of();
        }
        if (values.stream().anyMatch(value -> value == null || value.isBlank())) {
            throw SettingError.invalid(key, "expected a list of names, e.g. [patient, practitioner], got an empty entry");
        }
        return values.stream().map(String::trim).toList();
    }

    /**
     * A duration written as a whole number and a unit, {@code ms}, {@code s}, {@code m}, {@code h} or {@code d}
     * ({@code 500ms}, {@code 2m}, {@code 7d}); returned as written after checking, {@link #toDuration} reads it.
     */
    static String duration(String key, String value, String fallback) {
        String text = text(value, fallback);
        if (!text.matches("\\d+(ms|s|m|h|d)") || toDuration(text).isZero()) {
            throw SettingError.invalid(key, "expected a positive duration such as 500ms, 30s, 2m, 12h or 7d, got '"
                + text + "'");
        }
        return text;
    }

    /** Reads a duration checked by {@link #duration}. */
    public static java.time.Duration toDuration(String text) {
        String unit = text.replaceAll("\\d", "");
        long amount = Long.parseLong(text.substring(0, text.length() - unit.length()));
        return switch (unit) {
            case "ms" -> java.time.Duration.ofMillis(amount);
            case "s" -> java.time.Duration.ofSeconds(amount);
            case "m" -> java.time.Duration.ofMinutes(amount);
            case "h" -> java.time.Duration.ofHours(amount);
            default -> java.time.Duration.ofDays(amount);
        };
    }

    /** A source's {@code initialLoad}: {@code none} (default) or {@code copy}. */
    static String initialLoad(String value) {
        String load = text(value, "none");
        if (!load.equals("none") && !load.equals("copy")) {
            throw SettingError.invalid("initialLoad", "expected none or copy, got '" + value + "'");
        }
        return load;
    }
}
