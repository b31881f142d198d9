package dev.ferry.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.ferry.core.partition.TopicNaming;

/**
 * The sources' defaults and the rules between them: unique names, one source per collection, each aggregate type or
 * entity claimed by one source, and at most one event source (commits or events) that claims nothing (it holds any type, so two such
 * would leave the relay unable to tell which one owns a type).
 */
final class SourceRules {

    private static final String DEFAULT_COLLECTION = "events";

    private SourceRules() {
    }

    static List<SourceConfig> resolve(List<SourceConfig> configured, String database, TopicNaming naming) {
        if (configured == null) {
            return List.of(new SourceConfig.Commits(null, database, DEFAULT_COLLECTION, null));
        }
        if (configured.isEmpty()) {
            throw SettingError.invalid("sources", "expected at least one source, e.g. [{kind: commits, collection: events}]");
        }
        List<SourceConfig> sources = new ArrayList<>();
        Map<String, Integer> names = new HashMap<>();
        Map<String, Integer> collections = new HashMap<>();
        Map<String, Integer> claims = new HashMap<>();
        Integer claimsAnything = null;
        for (int i = 0; i < configured.size(); i++) {
            String at = "sources[" + i + "]";
            if (configured.get(i) == null) {
                throw SettingError.invalid(at, "expected a source, e.g. {kind: commits, collection: events}");
            }
            SourceConfig source = configured.get(i).inDatabase(database);
            Integer earlier = names.putIfAbsent(source.name(), i);
            if (earlier != null) {
                throw SettingError.invalid(at + ".name", "'" + source.name() + "' is already the name of sources["
                    + earlier + "]; names must be unique");
            }
            String collection = source.database() + "." + source.collection();
            earlier = collections.putIfAbsent(collection, i);
            if (earlier != null) {
                throw SettingError.invalid(at + ".collection", collection + " is already read by sources[" + earlier
                    + "]; one source per collection");
            }
            for (String claim : source.claims()) {
                try {
                    naming.checkAggregateType(claim);
                } catch (IllegalArgumentException e) {
                    throw SettingError.invalid(at + "." + source.claimsKey(), e.getMessage());
                }
                earlier = claims.putIfAbsent(claim, i);
                if (earlier != null) {
                    throw SettingError.invalid(at + "." + source.claimsKey(), "'" + claim
                        + "' is already claimed by sources[" + earlier + "]; each aggregate type or entity has one source");
                }
            }
            if (!(source instanceof SourceConfig.Entities) && source.claims().isEmpty()) {
                if (claimsAnything != null) {
                    throw SettingError.missing(at + ".aggregateTypes", "the aggregate types this store holds, since "
                        + "sources[" + claimsAnything + "] is already a " + configured.get(claimsAnything).kind()
                        + " source without aggregateTypes");
                }
                claimsAnything = i;
            }
            sources.add(source);
        }
        return List.copyOf(sources);
    }
}
