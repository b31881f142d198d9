package dev.ferry.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import com.fasterxml.jackson.annotation.JacksonAnnotationsInside;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;

/**
 * A whole-number setting read from a number or its text (environment overrides are text). The range is here only so
 * that text which is no number at all gets the same line as a number out of range; the record's constructor checks
 * the range itself.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.PARAMETER, ElementType.FIELD, ElementType.METHOD})
@JacksonAnnotationsInside
@JsonDeserialize(using = WholeNumberDeserializer.class)
@interface WholeNumber {

    int min();

    int max();
}
