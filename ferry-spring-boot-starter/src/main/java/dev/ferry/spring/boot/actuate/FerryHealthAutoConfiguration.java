package dev.ferry.spring.boot.actuate;

import java.util.Optional;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
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

    /** Asks the transport on a thread of its own (closed with the context), so that health requests never wait. */
    @Bean
    @ConditionalOnMissingBean
    public BackendReachability ferryBackendReachability(MongoClient client, Transport transport) {
        return new BackendReachability(client, transport);
    }

    @Bean
    @ConditionalOnMissingBean(name = "ferryHealthIndicator")
    public FerryHealthIndicator ferryHealthIndicator(BackendReachability reachability, FerryProjections projections,
                                                     ObjectProvider<FerryRelay> relay) {
        return new FerryHealthIndicator(reachability, projections, Optional.ofNullable(relay.getIfAvailable()));
    }
}
