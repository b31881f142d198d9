package dev.ferry.nats;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.ferry.config.FerryConfig;

/** The configuration refuses exactly the aggregate types and stream names that cannot be one subject token here. */
class NatsSettingsAgreeWithConfigTest {

    @Test
    void theConfigurationsTokenRuleIsSubjectNamings() {
        for (String name : List.of("patient", "Patient_2", "a-b", "patient.v2", "a*", "a>", "a b", "", "ü", "x.>")) {
            boolean configAccepts = name.matches(FerryConfig.Nats.TOKEN);
            boolean natsAccepts;
            try {
                SubjectNaming.checkType(name);
                new SubjectNaming(name, 1);
                natsAccepts = true;
            } catch (IllegalArgumentException e) {
                natsAccepts = false;
            }
            assertThat(configAccepts).as("'%s'", name).isEqualTo(natsAccepts);
        }
    }
}
