package dev.ferry.app.failure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;

import dev.ferry.app.demo.HealthcareLoad;
import dev.ferry.app.demo.PipelineVerifier;
import dev.ferry.core.event.Event;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.mongodb.store.MongoEventStore;

/**
 * NATS partition ownership can fail this test, with real processes: every projector logs (partition, epoch, stream
 * sequences) for each read-model write and acknowledgement ({@code FERRY_OWNERSHIP_LOG=DEBUG}). Under a load: a third
 * projector joins (3 instances, 12 partitions: each owns 4 ± 1 within 10 s); an owner is SIGSTOPped until the others
 * own all its partitions, then SIGCONT — under the epochs it held it writes and acknowledges nothing after it wakes;
 * a fourth joins and one is killed -9 while holding delivered, unacknowledged messages (3 left: 4 ± 1 within 10 s of
 * the leave). Then: no two owners' write-and-acknowledge intervals of a partition overlap in time, no two owners
 * acknowledged overlapping sequences, nothing parked, the read model exact and nothing applied twice.
 */
@Timeout(420)
class NatsOwnershipEvidenceIT {

    private static final Path JAR = Path.of("target", "ferry.jar");
    private static final long EVENTS = 9_000;
    private static final int PARTITIONS = 12;
    private static final Pattern EVENT = Pattern.compile("OwnershipEvent\\[instance=(\\S+), partition=(\\S+), "
        + "epoch=(\\d+), kind=(\\w+), from=(\\d+), to=(\\d+), atNanos=-?\\d+, wallMicros=(\\d+)]");

    /** Kept after the run: the processes' logs are the ownership evidence. */
    private final Path dir = Path.of("target", "nats-ownership-evidence", Long.toString(System.currentTimeMillis()));

    private final List<ChildProcess> processes = Collections.synchronizedList(new ArrayList<>());
    private final Map<ChildProcess, Integer> adminPorts = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private Map<String, String> env;
    private Path config;

    private record Logged(String instance, String partition, long epoch, String kind, long from, long to,
                          long wallMicros) {
    }

    @AfterEach
    void cleanUp() {
        processes.forEach(ChildProcess::destroy);
    }

    @Test
    void ownersNeverOverlapAFrozenOwnerWritesNothingAndPartitionsBalance() throws Exception {
        assertThat(JAR).as("the jar built by mvn package").exists();
        Files.createDirectories(dir);
        System.out.println("NatsOwnershipEvidenceIT: the processes' logs are in " + dir.toAbsolutePath());
        ChildProcess embedded = start("embedded", Map.of(), "embedded", "--transport", "nats");
        String mongoUri = embedded.awaitLine("FERRY_MONGODB_URI=(\\S+)", Duration.ofSeconds(60));
        String nats = embedded.awaitLine("FERRY_NATS_SERVERS=(\\S+)", Duration.ofSeconds(60));
        embedded.awaitLine("(embedded stack running)", Duration.ofSeconds(60));
        env = Map.of("FERRY_MONGODB_URI", mongoUri, "FERRY_NATS_SERVERS", nats, "FERRY_OWNERSHIP_LOG", "DEBUG");
        config = writeConfig();
        ChildProcess relay = start("relay", env, "relay", "--config", config.toString());
        relay.awaitLine("admin on port (\\d+)", Duration.ofSeconds(90));
        ChildProcess p1 = startProjector("projector-1");
        ChildProcess p2 = startProjector("projector-2");
        awaitBalanced(List.of(p1, p2), "the start (2 instances)", Duration.ofSeconds(60)); // not the bound: both starting

        try (MongoClient client = MongoClients.create(mongoUri)) {
            MongoDatabase database = client.getDatabase("ferry");
            MongoEventStore store = new MongoEventStore(database, "events", new TopicNaming(""),
                MongoEventStore.DEFAULT_MAX_EVENT_BYTES).createIndexes();
            HealthcareLoad load = new HealthcareLoad(store, 300, EVENTS, 250, 100);
            load.start();
            awaitAppended(load, EVENTS / 6);

            ChildProcess p3 = startProjector("projector-3");
            long joinMillis = awaitBalanced(List.of(p1, p2, p3), "a join (3 instances)");

            // A zombie: frozen until the others own everything it had, then woken
            awaitAppended(load, EVENTS * 2 / 6);
            String frozenId = instanceOf(p1);
            Set<String> frozenHeld = ownershipsHeld(p1);
            p1.signal("STOP");
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> owned(p2).size() + owned(p3).size() == PARTITIONS);
            long wokeAtMicros = nowMicros();
            p1.signal("CONT");
            awaitBalanced(List.of(p1, p2, p3), "the zombie's return");

            // A leave: a fourth joins, then one is killed -9 while holding delivered, unacknowledged messages
            awaitAppended(load, EVENTS * 3 / 6);
            ChildProcess p4 = startProjector("projector-4");
            awaitBalanced(List.of(p1, p2, p3, p4), "a join (4 instances)");
            awaitAppended(load, EVENTS * 4 / 6);
            String killedId = instanceOf(p2);
            p2.kill();
            long leaveMillis = awaitBalanced(List.of(p1, p3, p4), "a leave (kill -9, 3 instances)");

            assertThat(load.awaitDone(3, TimeUnit.MINUTES)).isTrue();
            PipelineVerifier verifier = new PipelineVerifier(database, "events");
            List<Event> stored = verifier.storedEvents();
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                PipelineVerifier.ReadModelVerdict verdict = verifier.readModel("latest_state", stored);
                return verdict.exact() && verdict.applies() >= stored.size();
            });
            PipelineVerifier.ReadModelVerdict readModel = verifier.readModel("latest_state", stored);

            List<Logged> logged = new ArrayList<>();
            for (ChildProcess projector : adminPorts.keySet()) {
                logged.addAll(parse(dir.resolve(projector.name() + ".err")));
            }
            List<Logged> afterWaking = logged.stream().filter(e -> e.instance().equals(frozenId)
                && frozenHeld.contains(e.partition() + "@" + e.epoch()) && e.wallMicros() > wokeAtMicros
                && (e.kind().equals("WRITTEN") || e.kind().equals("ACKNOWLEDGED"))).toList();
            long unacknowledgedAtKill = unacknowledged(logged, killedId);
            System.out.printf("NatsOwnershipEvidenceIT: balanced %d ms after the join, %d ms after the leave; the "
                    + "zombie %s logged %d writes/acks under its old epochs after waking (%d refusals); the killed %s "
                    + "held delivered, unacknowledged messages of %d partitions; %d ownership events; applied %d, duplicates "
                    + "applied %d, read model exact %s%n", joinMillis, leaveMillis, frozenId, afterWaking.size(),
                logged.stream().filter(e -> e.instance().equals(frozenId) && e.kind().endsWith("REFUSED")).count(),
                killedId, unacknowledgedAtKill, logged.size(), readModel.applies(), readModel.duplicates(),
                readModel.exact());

            assertThat(logged).filteredOn(e -> e.kind().equals("WRITTEN")).isNotEmpty();
            assertThat(afterWaking).as("writes and acknowledgements of the zombie under its old epochs").isEmpty();
            assertThat(unacknowledgedAtKill).as("partitions the killed owner held unacknowledged messages of")
                .isPositive();
            assertNoTwoOwnersOverlap(logged);
            assertThat(readModel.duplicates()).isZero();
            assertThat(readModel.orderViolations()).isZero();
            assertThat(readModel.exact()).isTrue();
            assertThat(database.getCollection("ferry_parked").countDocuments()).as("events parked").isZero();
        }
    }

    /** Per partition, per owner (instance and epoch): the span of its writes and acknowledgements, and its acks. */
    private static void assertNoTwoOwnersOverlap(List<Logged> logged) {
        Map<String, Map<String, List<Logged>>> byPartition = logged.stream()
            .filter(e -> e.kind().equals("WRITTEN") || e.kind().equals("ACKNOWLEDGED"))
            .collect(Collectors.groupingBy(Logged::partition, Collectors.groupingBy(e -> e.instance() + "@" + e.epoch())));
        assertThat(byPartition).hasSize(PARTITIONS);
        byPartition.forEach((partition, byOwner) -> {
            List<String> owners = new ArrayList<>(byOwner.keySet());
            for (int i = 0; i < owners.size(); i++) {
                for (int j = i + 1; j < owners.size(); j++) {
                    List<Logged> x = byOwner.get(owners.get(i));
                    List<Logged> y = byOwner.get(owners.get(j));
                    assertThat(span(x)[1] <= span(y)[0] || span(y)[1] <= span(x)[0])
                        .as("%s and %s wrote or acknowledged %s at overlapping times", owners.get(i), owners.get(j),
                            partition).isTrue();
                    long[] ax = acknowledgedRange(x);
                    long[] ay = acknowledgedRange(y);
                    if (ax != null && ay != null) {
                        assertThat(ax[1] < ay[0] || ay[1] < ax[0]).as("%s and %s acknowledged overlapping sequences "
                            + "of %s", owners.get(i), owners.get(j), partition).isTrue();
                    }
                }
            }
        });
    }

    private static long[] span(List<Logged> events) {
        return new long[] {events.stream().mapToLong(Logged::wallMicros).min().orElseThrow(),
            events.stream().mapToLong(Logged::wallMicros).max().orElseThrow()};
    }

    private static long[] acknowledgedRange(List<Logged> events) {
        List<Logged> acks = events.stream().filter(e -> e.kind().equals("ACKNOWLEDGED")).toList();
        return acks.isEmpty() ? null : new long[] {acks.stream().mapToLong(Logged::from).min().orElseThrow(),
            acks.stream().mapToLong(Logged::to).max().orElseThrow()};
    }

    /** Messages the instance had delivered beyond what it acknowledged, when it died. */
    private static long unacknowledged(List<Logged> logged, String instance) {
        Map<String, Long> delivered = new HashMap<>();
        Map<String, Long> acknowledged = new HashMap<>();
        for (Logged e : logged) {
            if (e.instance().equals(instance) && e.kind().equals("DELIVERED")) {
                delivered.merge(e.partition() + "@" + e.epoch(), e.to(), Math::max);
            } else if (e.instance().equals(instance) && e.kind().equals("ACKNOWLEDGED")) {
                acknowledged.merge(e.partition() + "@" + e.epoch(), e.to(), Math::max);
            }
        }
        return delivered.entrySet().stream().filter(d -> d.getValue() > acknowledged.getOrDefault(d.getKey(), 0L))
            .count();
    }

    private static List<Logged> parse(Path log) throws IOException {
        List<Logged> events = new ArrayList<>();
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            Matcher m = EVENT.matcher(line);
            if (m.find()) {
                events.add(new Logged(m.group(1), m.group(2), Long.parseLong(m.group(3)), m.group(4),
                    Long.parseLong(m.group(5)), Long.parseLong(m.group(6)), Long.parseLong(m.group(7))));
            }
        }
        return events;
    }

    /** Waits until every partition is owned and each member owns its fair share ± 1; returns how long it took. */
    private long awaitBalanced(List<ChildProcess> members, String after) {
        return awaitBalanced(members, after, Duration.ofSeconds(10));
    }

    private long awaitBalanced(List<ChildProcess> members, String after, Duration bound) {
        long started = System.nanoTime();
        try {
            await().atMost(bound).pollInterval(Duration.ofMillis(100)).until(() -> {
                List<Set<String>> owned = members.stream().map(this::owned).toList();
                Set<String> all = owned.stream().flatMap(Set::stream).collect(Collectors.toSet());
                int fair = PARTITIONS / members.size();
                return all.size() == PARTITIONS && owned.stream().allMatch(o -> Math.abs(o.size() - fair) <= 1);
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("not balanced within " + bound.toSeconds() + " s of " + after + ": "
                + members.stream().map(m -> m.name() + "=" + owned(m) + " (" + status(m) + ")\n" + m.tail()).toList(), e);
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        System.out.printf("NatsOwnershipEvidenceIT: balanced %d ms after %s: %s%n", millis, after,
            members.stream().map(m -> m.name() + "=" + owned(m).size()).toList());
        return millis;
    }

    private Set<String> owned(ChildProcess projector) {
        Matcher m = Pattern.compile("\"assignedPartitions\":\\[([^]]*)]").matcher(status(projector));
        Set<String> owned = new TreeSet<>();
        if (m.find() && !m.group(1).isBlank()) {
            for (String partition : m.group(1).split(",")) {
                owned.add(partition.replace("\"", ""));
            }
        }
        return owned;
    }

    private String instanceOf(ChildProcess projector) {
        Matcher m = Pattern.compile("\"instance\":\"([^\"]+)\"").matcher(status(projector));
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    /** Every (partition, epoch) the projector has gained so far, from its log. */
    private Set<String> ownershipsHeld(ChildProcess projector) throws IOException {
        return parse(dir.resolve(projector.name() + ".err")).stream().filter(e -> e.kind().equals("GAINED"))
            .map(e -> e.partition() + "@" + e.epoch()).collect(Collectors.toSet());
    }

    private String status(ChildProcess projector) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPorts.get(projector)
                + "/status")).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException | InterruptedException e) {
            return "";
        }
    }

    private static void awaitAppended(HealthcareLoad load, long events) {
        await().atMost(Duration.ofSeconds(120)).until(() -> load.appended() >= events);
    }

    private static long nowMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
    }

    private ChildProcess start(String name, Map<String, String> environment, String... args) throws IOException {
        ChildProcess process = ChildProcess.start(name, JAR, dir, environment, args);
        processes.add(process);
        return process;
    }

    private ChildProcess startProjector(String name) throws IOException {
        ChildProcess projector = start(name, env, "project", "--config", config.toString());
        adminPorts.put(projector, Integer.parseInt(projector.awaitLine("admin on port (\\d+)", Duration.ofSeconds(90))));
        return projector;
    }

    private Path writeConfig() throws IOException {
        Path file = dir.resolve("ferry.yml");
        Files.writeString(file, """
            mongodb:
              uri: ${FERRY_MONGODB_URI}
            transport: nats
            nats:
              servers: ${FERRY_NATS_SERVERS}
              partitions: 6
            relay:
              start: %s
            projector:
              aggregateTypes: [patient, practitioner]
              applyLog: true
            admin:
              bind: 127.0.0.1
              port: 0
            """.formatted(Instant.now().minusSeconds(5)));
        return file;
    }
}
