package dev.ferry.benchmark.pipeline;

import java.util.Arrays;
import java.util.Locale;

/** Several runs' values of one figure: the median is what docs/measured.md quotes, min and max its spread. */
public record Spread(double min, double median, double max) {

    public static Spread of(double... values) {
        if (values.length == 0) {
            return new Spread(Double.NaN, Double.NaN, Double.NaN);
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        return new Spread(sorted[0], median, sorted[n - 1]);
    }

    /** The value at {@code percentile} (0..100) of {@code values}, nearest rank. */
    public static double percentile(double[] values, double percentile) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(percentile / 100 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    public String markdown(String format) {
        return String.format(Locale.ROOT, format + " (" + format + "–" + format + ")", median, min, max);
    }
}
