package dev.ferry.benchmark.pipeline;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;

import dev.ferry.benchmark.process.AdminEndpoint;

/**
 * Percentiles of what a process timed between two scrapes of its Prometheus histogram (the projector's end-to-end
 * latency, append to read model written): the buckets' counts of the window, interpolated linearly within a bucket.
 * Micrometer's buckets are about a third of an octave apart, so a figure is good to roughly ±15 %.
 */
final class BucketPercentiles {

    private BucketPercentiles() {
    }

    /** p50, p99, p99.9 in milliseconds. */
    static double[] between(AdminEndpoint.Metrics start, AdminEndpoint.Metrics end, String name) {
        List<double[]> before = start.buckets(name);
        List<double[]> after = end.buckets(name);
        return new double[] {at(before, after, 50), at(before, after, 99), at(before, after, 99.9)};
    }

    private static double at(List<double[]> before, List<double[]> after, double percentile) {
        double total = count(before, after, after.size() - 1);
        if (total <= 0) {
            return Double.NaN;
        }
        double wanted = total * percentile / 100;
        double lower = 0;
        double below = 0;
        for (int i = 0; i < after.size(); i++) {
            double upper = after.get(i)[0];
            double cumulative = count(before, after, i);
            if (cumulative >= wanted) {
                if (Double.isInfinite(upper)) {
                    return lower * 1000; // beyond the last bound: all that is known is that it is above it
                }
                double share = cumulative == below ? 1 : (wanted - below) / (cumulative - below);
                return (lower + (upper - lower) * share) * 1000;
            }
            lower = upper;
            below = cumulative;
        }
        return lower * 1000;
    }

    private static double count(List<double[]> before, List<double[]> after, int i) {
        return after.get(i)[1] - (i < before.size() ? before.get(i)[1] : 0);
    }

    /** The window's values as a histogram of microseconds, each bucket's count at its upper bound, for the plot. */
    static Histogram histogram(AdminEndpoint.Metrics start, AdminEndpoint.Metrics end, String name) {
        List<double[]> before = start.buckets(name);
        List<double[]> after = end.buckets(name);
        Histogram histogram = new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
        double below = 0;
        for (int i = 0; i < after.size() && !Double.isInfinite(after.get(i)[0]); i++) {
            double cumulative = count(before, after, i);
            long inBucket = Math.round(cumulative - below);
            if (inBucket > 0) {
                histogram.recordValueWithCount(Math.min(histogram.getHighestTrackableValue(),
                    Math.round(after.get(i)[0] * 1e6)), inBucket);
            }
            below = cumulative;
        }
        return histogram;
    }
}
