package dev.ferry.spring.boot.internals;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.ferry.config.ConfigError;
import dev.ferry.config.FerryConfig;
import dev.ferry.core.relay.HistoryLostPolicy;
import dev.ferry.spring.boot.FerryProperties;

/**
 * Ferry's properties as the CLI's configuration records read them: the same defaults and the same checks, in one
 * place ({@link FerryConfig}); a mistake is one line naming the {@code ferry.*} key.
 */
public final class CheckedSettings {

    /** A message's pointer to another setting, by the CLI's name: {@code use kafka.lingerMs}. */
    private static final Pattern POINTER = Pattern.compile("\\buse (kafka|nats|relay|projector)\\.([A-Za-z]+)");

    private CheckedSettings() {
    }

    public static FerryConfig.Kafka kafka(FerryProperties.Kafka kafka) {
        return checked("ferry.kafka.", () -> new FerryConfig.Kafka(kafka.bootstrapServers(), kafka.topicPrefix(),
            kafka.partitions(), kafka.replicationFactor(), kafka.deadLetterTopic(), kafka.idempotence(),
            kafka.compression(), kafka.lingerMs(), kafka.properties() == null ? null
                : new LinkedHashMap<String, Object>(kafka.properties()), null)); // exactly-once: the CLI's relay only
    }

    public static FerryConfig.Nats nats(FerryProperties.Nats nats) {
        return checked("ferry.nats.", () -> new FerryConfig.Nats(nats.servers(), nats.credentialsFile(), nats.tls(),
            nats.stream(), nats.partitions(), nats.replicas(), nats.maxAge(), nats.dedupeWindow(), nats.maxAckPending(),
            nats.ackWait()));
    }

    /**
     * The relay's settings. The starter's relay reads the event store only, and copies nothing: the settings that copy
     * every source ({@code start: earliest}, {@code historyLost: recopy}) are the CLI's relay's.
     */
    public static FerryConfig.Relay relay(FerryProperties.Relay relay) {
        FerryConfig.Relay checked = checked("ferry.relay.", () -> new FerryConfig.Relay(relay.name(), relay.start(),
            relay.historyLost(), relay.leaseTtl(), relay.idleCheckpointInterval()));
        if (checked.start().equals("earliest")) {
            throw new ConfigError("ferry.relay.start: 'earliest' copies every source first; the starter's relay reads "
                + "the event store's change stream only: use 'now' or an instant, or run the copy with the CLI's "
                + "relay");
        }
        if (checked.historyLost() == HistoryLostPolicy.RECOPY) {
            throw new ConfigError("ferry.relay.history-lost: 'recopy' copies every source again; the starter's relay "
                + "copies nothing: use 'fail' or 'restart-from-now', or run the CLI's relay");
        }
        return checked;
    }

    public static FerryConfig.Projector projector(FerryProperties.Projector projector) {
        return checked("ferry.projector.", () -> new FerryConfig.Projector(null, List.of(), projector.lanes(),
            projector.applyLog(), null));
    }

    public static Duration stallTimeout(FerryProperties properties) {
        return checked("ferry.", () -> new FerryConfig.Admin(null, null, null, properties.stallTimeout()))
            .stallTimeoutDuration();
    }

    private static <T> T checked(String prefix, Supplier<T> record) {
        try {
            return record.get();
        } catch (ConfigError e) {
            throw new ConfigError(prefix + springKey(e.getMessage()));
        }
    }

    /**
     * The message with its leading key as Spring spells it: {@code bootstrapServers is missing …} becomes
     * {@code bootstrap-servers is missing …}; a client property's own name ({@code properties.enable.idempotence})
     * is left as Kafka spells it.
     */
    static String springKey(String message) {
        int end = 0;
        while (end < message.length() && message.charAt(end) != ':' && message.charAt(end) != ' ') {
            end++;
        }
        String key = message.substring(0, end);
        String first = key.contains(".") ? key.substring(0, key.indexOf('.')) : key;
        // and a setting the message points to ("use kafka.lingerMs") as it is set here
        Matcher pointer = POINTER.matcher(message.substring(end));
        StringBuilder rest = new StringBuilder();
        while (pointer.find()) {
            pointer.appendReplacement(rest, Matcher.quoteReplacement("use ferry." + pointer.group(1) + "."
                + kebab(pointer.group(2))));
        }
        pointer.appendTail(rest);
        return kebab(first) + key.substring(first.length()) + rest;
    }


    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }
}
