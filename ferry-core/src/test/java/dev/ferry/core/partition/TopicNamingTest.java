package dev.ferry.core.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TopicNamingTest {

    @Test
    void prefixesTheAggregateType() {
        assertThat(new TopicNaming("ferry.").topicFor("patient")).isEqualTo("ferry.patient");
    }

    @Test
    void refusesTypesThatCannotBeATopicInsteadOfRewritingThem() {
        TopicNaming naming = new TopicNaming("ferry.");

        assertThatThrownBy(() -> naming.topicFor("patient record")).hasMessageContaining("'patient record'");
        assertThatThrownBy(() -> naming.topicFor("")).hasMessageContaining("A-Z a-z 0-9");
        assertThatThrownBy(() -> new TopicNaming("bad prefix")).hasMessageContaining("topic prefix");
    }
}
