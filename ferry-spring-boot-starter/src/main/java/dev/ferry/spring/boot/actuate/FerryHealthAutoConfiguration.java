package dev.ferry.spring.boot.actuate;

import java.util.Optional;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

import com.mongodb.client.MongoClient;

import dev.ferry.core.transport.Transport;
import dev.ferry.spring.boot.FerryAutoConfiguration;
import dev.ferry.spring.boot.FerryProjections;
import dev.ferry.spring.boot.FerryRelay;
import dev.ferry.spring.boot.internals.BackendReachability;

/** The {@code ferry} health indicator, when the application has Spring Boot's health support (Actuator). */
@AutoConfiguration(after = FerryAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(FerryProjections.class)
@ConditionalOnEnabledHealthIndicator("ferry")
public class FerryHealthAutoConfiguration {

    @Bean
    public FerryHealthIndicator ferryHealthIndicator(MongoClient client, Transport transport,
                                                     FerryProjections projections, ObjectProvider<FerryRelay> relay) {
        return new FerryHealthIndicator(new BackendReachability(client, transport), projections,
            Optional.ofNullable(relay.getIfAvailable()));
    }
}
