package dev.ferry.benchmark.lease;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

class LeaseRenewalResultJsonTest {

    @Test
    void aCopyReportsItsRenewalPercentilesBesideItsDurationAndTheCopyingRelaysStepDowns() throws Exception {
        double[] renewals = new double[100];
        for (int i = 0; i < renewals.length; i++) {
            renewals[i] = i + 1; // 1..100 ms
        }
        renewals[99] = 1_500; // one renewal slower than the default TTL
        JsonNode json = parse(new LeaseRenewalResult("copy", 100_000, true, 100_000, 12.5, renewals,
            new double[] {2, 3}, 0, Optional.empty(), 2L).toJson());

        assertThat(json.get("scenario").asText()).isEqualTo("copy");
        assertThat(json.get("operationSeconds").asDouble()).isEqualTo(12.5);
        assertThat(json.get("renewals").asInt()).isEqualTo(100);
        assertThat(json.get("renewalMillis").get("p50").asDouble()).isEqualTo(50);
        assertThat(json.get("renewalMillis").get("p99").asDouble()).isEqualTo(99);
        assertThat(json.get("renewalMillis").get("max").asDouble()).isEqualTo(1_500);
        assertThat(json.get("renewalsOver50Millis").asInt()).isEqualTo(50);
        assertThat(json.get("renewalsOverDefaultTtl").asInt()).isEqualTo(1);
        assertThat(json.get("idleRenewalMillis").get("max").asDouble()).isEqualTo(3);
        assertThat(json.get("relayLeaseTtlMillis").asLong()).as("the relay's default").isEqualTo(1_000);
        assertThat(json.get("relayLiveLeaderStepDowns").asLong()).isEqualTo(2);
    }

    @Test
    void aPurgeHasNoRelayAndAWindowWithoutRenewalsHasNoPercentiles() throws Exception {
        JsonNode json = parse(new LeaseRenewalResult("purge", 1_000, true, 1_000, 0.01, new double[0],
            new double[] {2}, 0, Optional.of(Duration.ofSeconds(15)), null).toJson());

        assertThat(json.get("renewals").asInt()).isZero();
        assertThat(json.get("renewalMillis").get("p99").isNull()).isTrue();
        assertThat(json.get("relayLeaseTtlMillis").isNull()).isTrue();
        assertThat(json.get("relayLiveLeaderStepDowns").isNull()).isTrue();
    }

    private static JsonNode parse(String json) throws Exception {
        return new ObjectMapper().readTree(json);
    }
}
