package dev.ferry.local.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.embedded.kafka.EmbeddedKafka;
import dev.ferry.embedded.mongo.EmbeddedMongo;

/** `ferry embedded --self-test` works: the embedded stack relays documents MongoDB -> Kafka, once each, in order. */
@Timeout(180)
class StackSelfTestIT {

    @Test
    void theEmbeddedStackRelaysEveryDocumentOnceInOrder() throws Exception {
        ByteArrayOutputStream report = new ByteArrayOutputStream();
        boolean passed;
        try (EmbeddedMongo mongo = EmbeddedMongo.start(); EmbeddedKafka kafka = EmbeddedKafka.start()) {
            passed = new StackSelfTest(mongo.connectionString(), kafka.bootstrapServers(), 2_000,
                new PrintStream(report, true, StandardCharsets.UTF_8)).run();
        }

        String text = report.toString(StandardCharsets.UTF_8);
        System.out.print(text);
        assertThat(passed).isTrue();
        assertThat(text).contains("every document exactly once:  yes").contains("in insertion order:           yes");
    }
}
