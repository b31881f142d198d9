package dev.ferry.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * What the keys of a mapping setting are, e.g. {@code entity}: the configuration reference writes such a setting's
 * keys as {@code targets[].tables.<entity>}.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.PARAMETER, ElementType.FIELD, ElementType.METHOD})
@interface KeyName {

    String value();
}
