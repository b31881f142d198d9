package dev.ferry.core.wire;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * The buffer writes exactly the bytes the text it replaces had as UTF-8: strings as {@link EventJson#quote} escapes
 * them, raw JSON, numbers, and instants as {@link Instant#toString} writes them, over random input of every kind of
 * character (surrogate pairs, lone surrogates, control characters) and every length the buffer must grow for.
 */
class JsonBufferTest {

    private final SplittableRandom random = new SplittableRandom(32);

    @Test
    void stringsAndRawTextAreTheirTextsUtf8Bytes() {
        JsonBuffer json = new JsonBuffer(4);
        for (int i = 0; i < 20_000; i++) {
            String text = randomText();
            assertThat(json.reset().string(text).toByteArray()).isEqualTo(EventJson.quote(text).getBytes(UTF_8));
            assertThat(json.reset().raw(text).toByteArray()).isEqualTo(text.getBytes(UTF_8));
            assertThat(json.reset().ascii("{").string(text).ascii(',').raw(text).text())
                .isEqualTo(new String(("{" + EventJson.quote(text) + "," + text).getBytes(UTF_8), UTF_8));
        }
        assertThat(json.reset().string(null).text()).isEqualTo("null");
    }

    @Test
    void numbersAreTheirDecimalText() {
        JsonBuffer json = new JsonBuffer(1);
        for (long value : new long[] {0, 1, -1, 9, 10, -10, 99, 100, Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE + 1,
            Integer.MAX_VALUE, 4_294_967_295L}) {
            assertThat(json.reset().number(value).text()).isEqualTo(Long.toString(value));
        }
        for (int i = 0; i < 10_000; i++) {
            long value = random.nextLong() >> random.nextInt(64);
            assertThat(json.reset().number(value).text()).isEqualTo(Long.toString(value));
        }
    }

    @Test
    void instantsAreWrittenAsInstantToStringWritesThem() {
        JsonBuffer json = new JsonBuffer(1);
        for (Instant instant : new Instant[] {Instant.EPOCH, Instant.parse("2026-12-07T08:00:00Z"),
            Instant.parse("2026-12-07T08:00:00.100Z"), Instant.parse("2026-12-07T08:00:00.000100Z"),
            Instant.parse("2026-12-07T08:00:00.000000100Z"), Instant.parse("2024-02-29T23:59:59.999999999Z"),
            Instant.parse("9999-12-31T23:59:59.999Z"), Instant.parse("+10000-01-01T00:00:00Z"),
            Instant.parse("1969-12-31T23:59:59.5Z"), Instant.parse("0001-01-01T00:00:00Z"), Instant.MIN, Instant.MAX}) {
            assertThat(json.reset().ascii('x').text()).isEqualTo("x");
            IsoInstant.write(instant, json.reset());
            assertThat(json.text()).isEqualTo(instant.toString());
        }
        for (int i = 0; i < 20_000; i++) {
            long seconds = random.nextLong(-100_000_000_000L, 300_000_000_000L);
            int nanos = switch (random.nextInt(4)) {
                case 0 -> 0;
                case 1 -> random.nextInt(1000) * 1_000_000;
                case 2 -> random.nextInt(1_000_000) * 1_000;
                default -> random.nextInt(1_000_000_000);
            };
            Instant instant = Instant.ofEpochSecond(seconds, nanos);
            IsoInstant.write(instant, json.reset());
            assertThat(json.text()).isEqualTo(instant.toString());
        }
    }

    private String randomText() {
        int length = random.nextInt(0, random.nextBoolean() ? 8 : 300);
        StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            text.append(switch (random.nextInt(8)) {
                case 0 -> (char) random.nextInt(0x20);
                case 1 -> "\"\\/\u007f".charAt(random.nextInt(4));
                case 2 -> (char) random.nextInt(0x80, 0x800);
                case 3 -> (char) random.nextInt(0x800, 0x10000); // lone surrogates among them
                case 4 -> new String(Character.toChars(random.nextInt(0x10000, 0x110000)));
                default -> (char) random.nextInt(0x20, 0x7f);
            });
        }
        return text.toString();
    }
}
