package dev.ferry.example.boot;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

import dev.ferry.core.projection.Projection;
import dev.ferry.core.projection.ReadModelChange;

/**
 * A service keeping the demo's read model of patients and practitioners. Declaring the {@link Projection} as a bean
 * is all it takes: ferry-spring-boot-starter runs it on Ferry's engine, in a collection named after it, sharing the
 * partitions with the service's other instances. Events are appended through the {@code EventStore} bean.
 */
@SpringBootApplication
public class HealthcareApplication {

    /** The read model's collection, in Ferry's database. */
    public static final String READ_MODEL = "healthcare";

    public static void main(String[] args) {
        SpringApplication.run(HealthcareApplication.class, args);
    }

    /**
     * The demo's fold: {@code *Registered} sets the state, {@code *Updated} merges the changed fields,
     * {@code PatientDischarged} / {@code PractitionerRemoved} delete the document.
     */
    @Bean
    Projection healthcareReadModel() {
        return Projection.named(READ_MODEL).forAggregateTypes("patient", "practitioner")
            .on("PatientRegistered", (event, context) -> new ReadModelChange.Put(event.payloadJson()))
            .on("PatientUpdated", (event, context) -> new ReadModelChange.Merge(event.payloadJson()))
            .on("PatientDischarged", (event, context) -> ReadModelChange.REMOVE)
            .on("PractitionerRegistered", (event, context) -> new ReadModelChange.Put(event.payloadJson()))
            .on("PractitionerUpdated", (event, context) -> new ReadModelChange.Merge(event.payloadJson()))
            .on("PractitionerRemoved", (event, context) -> ReadModelChange.REMOVE)
            .build();
    }
}
