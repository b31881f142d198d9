package dev.ferry.benchmark.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SpreadTest {

    @Test
    void theMedianOfAnOddCountIsTheMiddleRunAndOfAnEvenCountTheMeanOfTheTwoMiddleOnes() {
        assertThat(Spread.of(9, 1, 5)).isEqualTo(new Spread(1, 5, 9));
        assertThat(Spread.of(4, 1, 3, 2)).isEqualTo(new Spread(1, 2.5, 4));
    }

    @Test
    void percentilesAreNearestRankSoP99OfTwentyKillsIsTheWorst() {
        double[] kills = new double[20];
        for (int i = 0; i < kills.length; i++) {
            kills[i] = 1000 + i;
        }
        assertThat(Spread.percentile(kills, 50)).isEqualTo(1009);
        assertThat(Spread.percentile(kills, 99)).isEqualTo(1019);
        assertThat(Spread.percentile(kills, 100)).isEqualTo(1019);
    }
}
