package dev.ferry.it.support;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A generator of random values for property-based tests: everything is drawn from one {@link Random}, so a seed
 * replays a run. Numbers and strings come with their edge cases (0, ±1, the type's extremes, empty strings, every
 * UTF-16 unit including lone surrogates and NUL) at a fixed share of the draws.
 */
@FunctionalInterface
public interface Gen<T> {

    /** How often a number generator returns one of its edge cases instead of a uniform value. */
    int EDGE_CASE_ONE_IN = 6;

    T next(Random random);

    default <U> Gen<U> map(Function<? super T, ? extends U> mapping) {
        return random -> mapping.apply(next(random));
    }

    /** Values of this generator that {@code wanted} accepts (drawn again until one is). */
    default Gen<T> filter(Predicate<? super T> wanted) {
        return random -> {
            for (int i = 0; i < 10_000; i++) {
                T value = next(random);
                if (wanted.test(value)) {
                    return value;
                }
            }
            throw new IllegalStateException("no value accepted in 10,000 draws");
        };
    }

    /** Lists of 0 to {@code maxSize} values. */
    default Gen<List<T>> list(int maxSize) {
        return random -> {
            int size = random.nextInt(maxSize + 1);
            List<T> values = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                values.add(next(random));
            }
            return values;
        };
    }

    static <T> Gen<T> constant(T value) {
        return random -> value;
    }

    @SafeVarargs
    static <T> Gen<T> oneOf(T... values) {
        List<T> choices = java.util.Arrays.asList(values.clone());
        return random -> choices.get(random.nextInt(choices.size()));
    }

    /** One of {@code generators}, chosen with the weights given. */
    @SafeVarargs
    static <T> Gen<T> frequency(Weighted<? extends T>... generators) {
        int total = 0;
        for (Weighted<? extends T> weighted : generators) {
            total += weighted.weight();
        }
        int sum = total;
        return random -> {
            int n = random.nextInt(sum);
            for (Weighted<? extends T> weighted : generators) {
                n -= weighted.weight();
                if (n < 0) {
                    return weighted.generator().next(random);
                }
            }
            throw new IllegalStateException();
        };
    }

    static <T> Weighted<T> weighted(int weight, Gen<T> generator) {
        return new Weighted<>(weight, generator);
    }

    /** A generator and how often {@link #frequency} picks it, relative to the others. */
    record Weighted<T>(int weight, Gen<T> generator) {
    }

    /** Maps of up to {@code maxSize} entries, keys distinct, in the order drawn. */
    static <K, V> Gen<Map<K, V>> maps(Gen<K> keys, Gen<V> values, int maxSize) {
        return random -> {
            int size = random.nextInt(maxSize + 1);
            Map<K, V> map = new LinkedHashMap<>();
            for (int i = 0; i < size; i++) {
                map.put(keys.next(random), values.next(random));
            }
            return map;
        };
    }

    static Gen<Integer> ints() {
        return random -> random.nextInt(EDGE_CASE_ONE_IN) == 0
            ? List.of(0, 1, -1, Integer.MIN_VALUE, Integer.MAX_VALUE).get(random.nextInt(5)) : random.nextInt();
    }

    static Gen<Integer> ints(int from, int to) {
        return random -> (int) (from + Math.floorMod(random.nextLong(), (long) to - from + 1));
    }

    static Gen<Long> longs() {
        return random -> random.nextInt(EDGE_CASE_ONE_IN) == 0
            ? List.of(0L, 1L, -1L, Long.MIN_VALUE, Long.MAX_VALUE).get(random.nextInt(5)) : random.nextLong();
    }

    static Gen<Long> longs(long from, long to) {
        return random -> from + Math.floorMod(random.nextLong(), to - from + 1);
    }

    /** Finite doubles of every magnitude (the non-finite ones are edge cases of their own, drawn where wanted). */
    static Gen<Double> doubles() {
        return random -> random.nextInt(EDGE_CASE_ONE_IN) == 0
            ? List.of(0.0, -0.0, 1.0, Double.MIN_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE).get(random.nextInt(6))
            : (random.nextBoolean() ? 1 : -1) * random.nextDouble() * Math.pow(10, random.nextInt(40) - 20);
    }

    static Gen<BigDecimal> decimals(int scale) {
        return random -> new BigDecimal(new BigInteger(random.nextInt(100) + 1, random), scale);
    }

    static Gen<byte[]> bytes(int maxSize) {
        return random -> {
            byte[] bytes = new byte[random.nextInt(maxSize + 1)];
            random.nextBytes(bytes);
            return bytes;
        };
    }

    /** Strings of {@code minLength} to {@code maxLength} characters drawn from {@code characters}. */
    static Gen<String> strings(Gen<Character> characters, int minLength, int maxLength) {
        return random -> {
            int length = minLength + random.nextInt(maxLength - minLength + 1);
            StringBuilder text = new StringBuilder(length);
            for (int i = 0; i < length; i++) {
                text.append(characters.next(random));
            }
            return text.toString();
        };
    }

    /** Characters from a set such as {@code "abc…"}. */
    static Gen<Character> chars(String from) {
        return random -> from.charAt(random.nextInt(from.length()));
    }

    /** Every UTF-16 unit: NUL and the other controls, lone surrogates, private use, noncharacters. */
    static Gen<Character> anyChar() {
        return random -> (char) random.nextInt(Character.MAX_VALUE + 1);
    }
}
