package dev.ferry.benchmark.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

import dev.ferry.benchmark.process.AdminEndpoint;

class BucketPercentilesTest {

    private static final String NAME = "ferry_projector_end_to_end_seconds";

    private static AdminEndpoint.Metrics scrape(long upTo5ms, long upTo10ms, long upTo20ms, long total) {
        return new AdminEndpoint.Metrics("""
            # HELP ferry_projector_end_to_end_seconds append to read model written
            ferry_projector_end_to_end_seconds_bucket{le="0.005"} %d
            ferry_projector_end_to_end_seconds_bucket{le="0.01"} %d
            ferry_projector_end_to_end_seconds_bucket{le="0.02"} %d
            ferry_projector_end_to_end_seconds_bucket{le="+Inf"} %d
            ferry_projector_end_to_end_seconds_count %d
            """.formatted(upTo5ms, upTo10ms, upTo20ms, total, total));
    }

    @Test
    void onlyTheWindowsCountsCountAndAPercentileIsInterpolatedWithinItsBucket() {
        AdminEndpoint.Metrics before = scrape(1000, 1000, 1000, 1000); // all fast, before the window
        AdminEndpoint.Metrics after = scrape(1000, 1100, 1200, 1200); // the window: 100 in 5-10 ms, 100 in 10-20 ms

        double[] percentiles = BucketPercentiles.between(before, after, NAME);

        assertThat(percentiles[0]).isCloseTo(10.0, within(1e-9)); // p50: the 100th of 200, at the first bucket's top
        assertThat(percentiles[1]).isCloseTo(19.8, within(1e-9)); // p99: 98 of the second bucket's 100
    }

    @Test
    void anEmptyWindowHasNoPercentiles() {
        AdminEndpoint.Metrics same = scrape(5, 6, 7, 8);
        assertThat(BucketPercentiles.between(same, same, NAME)[1]).isNaN();
    }
}
