package dev.ferry.embedded.mongo.internals;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

class SortedSelectionTest {

    private record Row(int key, int arrival) {
    }

    @Test
    void choosesExactlyTheStableSortsFirstRowsTiesIncluded() {
        Random random = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            int size = random.nextInt(300);
            int distinctKeys = 1 + random.nextInt(20); // many ties
            List<Row> rows = IntStream.range(0, size).mapToObj(i -> new Row(random.nextInt(distinctKeys), i)).toList();
            int n = 1 + random.nextInt(50);
            Comparator<Row> byKey = Comparator.comparingInt(Row::key);

            List<Row> expected = rows.stream().sorted(byKey).limit(n).toList();
            List<Row> chosen = SortedSelection.firstOf(rows.stream(), byKey, n).sorted(byKey).toList();

            assertThat(chosen).isEqualTo(expected);
        }
    }

    @Test
    void keepsTheChosenRowsInTheirEncounterOrder() {
        List<Row> rows = List.of(new Row(3, 0), new Row(1, 1), new Row(2, 2), new Row(0, 3));
        assertThat(SortedSelection.firstOf(rows.stream(), Comparator.comparingInt(Row::key), 2).toList())
            .containsExactly(new Row(1, 1), new Row(0, 3));
    }
}
