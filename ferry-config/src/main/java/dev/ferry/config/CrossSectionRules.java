package dev.ferry.config;

import java.util.List;

import dev.ferry.core.partition.TopicNaming;

/**
 * The rules between sections, checked once every section has its defaults: projected types come from the sources,
 * entity sources agree on post-images, targets are distinct consumer groups replicating published entities, and on
 * NATS every type is one subject token.
 */
final class CrossSectionRules {

    private CrossSectionRules() {
    }

    static void check(List<SourceConfig> sources, FerryConfig.Transport transport, FerryConfig.Projector projector,
                      List<TargetConfig> targets, TopicNaming naming) {
        checkProjectedTypes(projector.aggregateTypes(), sources, naming);
        if (transport == FerryConfig.Transport.NATS) {
            checkNatsTypes(projector.aggregateTypes(), sources);
        }
        checkImagesAllOrNone(sources);
        checkTargets(targets, sources, projector);
    }

    private static void checkProjectedTypes(List<String> types, List<SourceConfig> sources, TopicNaming naming) {
        for (String type : types) {
            try {
                naming.checkAggregateType(type);
            } catch (IllegalArgumentException e) {
                throw SettingError.invalid("projector.aggregateTypes", e.getMessage());
            }
        }
        // An entity's topic holds entity changes and tombstones, not events: a projector could read none of them.
        for (SourceConfig source : sources) {
            if (source instanceof SourceConfig.Entities entities && types.contains(entities.entity())) {
                throw SettingError.invalid("projector.aggregateTypes", "'" + entities.entity() + "' is an entity "
                    + "(sources: kind entities): its topic carries entity changes, not events; projectors read "
                    + "aggregate types");
            }
        }
        // A commits source that lists no types holds any type; otherwise a projected type must come from somewhere.
        if (sources.stream().allMatch(source -> !source.claims().isEmpty())) {
            List<String> claimed = sources.stream().flatMap(source -> source.claims().stream()).toList();
            types.stream().filter(type -> !claimed.contains(type)).findFirst().ifPresent(type -> {
                throw SettingError.invalid("projector.aggregateTypes", "'" + type + "' is claimed by no source; the "
                    + "sources claim " + claimed);
            });
        }
    }

    /** On NATS a type is one subject token: no '.', '*' or '>'. */
    private static void checkNatsTypes(List<String> projected, List<SourceConfig> sources) {
        for (int i = 0; i < projected.size(); i++) {
            checkNatsType("projector.aggregateTypes", projected.get(i));
        }
        for (int i = 0; i < sources.size(); i++) {
            for (String type : sources.get(i).claims()) {
                checkNatsType("sources[" + i + "]." + sources.get(i).claimsKey(), type);
            }
        }
    }

    private static void checkNatsType(String key, String type) {
        if (!type.matches(FerryConfig.Nats.TOKEN)) {
            throw SettingError.invalid(key, "'" + type + "' may only contain A-Z a-z 0-9 _ - on NATS (it becomes "
                + "one subject token: no '.', '*' or '>')");
        }
    }

    /** One change stream reads every source: its post-image option is one for all entity sources. */
    private static void checkImagesAllOrNone(List<SourceConfig> sources) {
        List<SourceConfig.Entities> entitySources = sources.stream().filter(SourceConfig.Entities.class::isInstance)
            .map(SourceConfig.Entities.class::cast).toList();
        if (entitySources.stream().map(SourceConfig.Entities::prePostImages).distinct().count() > 1) {
            int odd = sources.indexOf(entitySources.stream()
                .filter(e -> e.prePostImages() != entitySources.get(0).prePostImages()).findFirst().orElseThrow());
            throw SettingError.invalid("sources[" + odd + "].prePostImages", "expected the same for every entities "
                + "source (one change stream reads them all: post-images for all, or update lookups for all)");
        }
    }

    /**
     * Targets have unique names, none a projection's (each is a consumer group), and replicate entities that an
     * {@code entities} source publishes.
     */
    private static void checkTargets(List<TargetConfig> targets, List<SourceConfig> sources,
                                     FerryConfig.Projector projector) {
        List<String> published = sources.stream().filter(source -> source instanceof SourceConfig.Entities)
            .flatMap(source -> source.claims().stream()).toList();
        for (int i = 0; i < targets.size(); i++) {
            TargetConfig target = targets.get(i);
            for (int j = 0; j < i; j++) {
                if (targets.get(j).name().equals(target.name())) {
                    throw SettingError.invalid("targets[" + i + "].name", "'" + target.name() + "' is already the "
                        + "name of targets[" + j + "]; each target is a consumer group of its own");
                }
            }
            if (target.name().equals(projector.projection())) {
                throw SettingError.invalid("targets[" + i + "].name", "'" + target.name() + "' is the projector's "
                    + "projection name; each is a consumer group of its own");
            }
            for (String entity : target.entities()) {
                if (!published.contains(entity)) {
                    throw SettingError.invalid("targets[" + i + "].entities", "'" + entity + "' is published by no "
                        + "entities source; the entities sources publish " + published);
                }
            }
        }
    }
}
