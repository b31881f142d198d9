package dev.ferry.local.failure;

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
import java.util.Comparator;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.awaitility.core.ConditionTimeoutException;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Accumulators;
import com.mongodb.client.model.Aggregates;
import com.mongodb.client.model.Filters;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.ConsumerInfo;

import dev.ferry.app.failure.ChildProcess;
import dev.ferry.app.run.ProjectorWithWriteGate;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.local.BuiltJars;
import dev.ferry.local.demo.HealthcareLoad;
import dev.ferry.mongodb.store.MongoEventStore;
import dev.ferry.nats.SubjectNaming;

/**
 * Partition moves between real projector processes on NATS (joins, a SIGSTOPped owner, a kill -9), and a frozen owner's
 * held write landing late. The projectors run the test-only {@code ProjectorWithWriteGate} (what it copies from
 * {@code ferry project} and what it leaves out is said there), with a projection that tags every read-model write with
 * who prepared it and when, and a gate after the write was permitted.
 * <p>
 * What refuses the zombie's held write here is the read model's version check (the successors already wrote those
 * versions, so the writer answers DUPLICATE), not the partition lease: with the lease fence removed this test still
 * passes; with the version condition removed it fails. The write fence on NATS partitions is caught by
 * {@code NatsPartitionOwnershipIT} (ferry-nats) and the ferry-it NATS kill tests, not by this one.
 * <p>
 * Independent evidence: the read model's own change stream ({@link TaggedReadModelChanges}), the lease collection, and
 * the JetStream server (its consumers' delivered sequence and ack floor, the stream's last sequence per partition
 * subject). Ferry's own ownership log ({@code FERRY_OWNERSHIP_LOG=DEBUG}) backs three further checks, labelled as
 * Ferry's own account: no acknowledgement under the zombie's old epochs after its wake-up, the killed owner's
 * unacknowledged deliveries, and the owners' acknowledged ranges chaining with no overlap and no gap.
 * <p>
 * Under a load: a third projector joins (3 instances, 12 partitions: each owns 4 ± 1 within 10 s). A zombie with a
 * write in flight: projector-1's next permitted write is held at the gate, then the whole process is SIGSTOPped; the
 * others own all its partitions (its old-epoch consumers gone from the server) and write everything it could have held
 * (the held run included); it is woken (SIGCONT) with the gate open, so its held write lands late. None of its writes
 * prepared before the freeze may land after the wake (the read model's history shows who wrote what), its held write
 * must be answered DUPLICATE (its {@code /status} counts it), and the leases it held are someone else's at a higher
 * epoch. A fourth joins and one is killed -9; the server shows it had been delivered messages it had not acknowledged
 * (3 left: 4 ± 1 within 10 s of the leave). Then: the read model's history never repeats or regresses a version, every
 * aggregate ends at its last stored version, every partition's consumer of its current owner has an ack floor at the
 * partition subject's last stream sequence, nothing parked.
 */
@Timeout(420)
class NatsOwnershipEvidenceIT {

    private static final long EVENTS = 9_000;
    private static final int PARTITIONS = 12;
    private static final String READ_MODEL = "fenced_state";
    private static final String MARKERS = "test_markers";
    private static final String WOKEN = "zombie-woken";
    private static final String LANDED = "zombie-held-write-answered";
    private static final String LEASE_PREFIX = READ_MODEL + ".partition.";
    /** The configuration's stream ({@code nats.stream} unset: "ferry") and its 6 partitions per type. */
    private static final SubjectNaming SUBJECTS = new SubjectNaming("ferry", 6);
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
    void aFrozenOwnersHeldWriteLandsNothingAndPartitionsMoveWithin10Seconds() throws Exception {
        assertThat(List.of(BuiltJars.SERVICE, BuiltJars.LOCAL)).as("the jars built by mvn package")
            .allMatch(Files::exists);
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

        try (MongoClient client = MongoClients.create(mongoUri);
             Connection server = Nats.connect(new Options.Builder().servers(nats.split(",")).build());
             TaggedReadModelChanges changes = new TaggedReadModelChanges(client.getDatabase("ferry"), READ_MODEL,
                 MARKERS)) {
            MongoDatabase database = client.getDatabase("ferry");
            MongoEventStore store = new MongoEventStore(database, "events", new TopicNaming(""),
                MongoEventStore.DEFAULT_MAX_EVENT_BYTES).createIndexes();
            HealthcareLoad load = new HealthcareLoad(store, 300, EVENTS, 250, 100);
            load.start();
            awaitAppended(load, EVENTS / 6);

            ChildProcess p3 = startProjector("projector-3");
            long joinMillis = awaitBalanced(List.of(p1, p2, p3), "a join (3 instances)");

            // A zombie with work in flight: its next permitted write held at the gate, then the whole process frozen
            awaitAppended(load, EVENTS * 2 / 6);
            String frozenId = instanceOf(p1);
            p1.send("hold");
            p1.awaitLine("(ARMED)", Duration.ofSeconds(30));
            String[] held;
            try {
                held = p1.awaitLine("HELD (\\S+ \\d+ \\d+)", Duration.ofSeconds(60)).split(" ");
            } catch (ConditionTimeoutException e) {
                throw new AssertionError("projector-1 wrote nothing within 60 s of arming its gate: " + status(p1)
                    + "\n" + p1.tail(), e);
            }
            String heldAggregate = held[0];
            long heldFirst = Long.parseLong(held[1]);
            long heldLast = Long.parseLong(held[2]);
            long duplicatesBefore = statusNumber(p1, "duplicates");
            p1.signal("STOP");
            long frozenAtMillis = System.currentTimeMillis();
            Map<String, Long> leasesAtFreeze = partitionLeasesOf(database, frozenId);
            // Everything it could have been delivered is stored by now (it reads nothing while frozen).
            Map<String, Long> storedAtFreeze = storedVersions(database);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> owned(p2).size() + owned(p3).size() == PARTITIONS);
            // The successors write all of it, the held run included: each write still in the zombie is now behind.
            changes.awaitCaughtUp(storedAtFreeze, List.of(), Duration.ofSeconds(120));
            TaggedReadModelChanges.Write heldRunLanded = changes.writes().stream()
                .filter(w -> w.aggregateId().equals(heldAggregate) && w.version() >= heldFirst).findFirst().orElseThrow();
            assertThat(heldRunLanded.writer()).as("who wrote the held run's versions of %s while the zombie was frozen",
                heldAggregate).isNotEqualTo(p1.name());
            Map<String, Lease> leasesTaken = partitionLeases(database);
            assertThat(leasesAtFreeze).as("partition leases the zombie held at the freeze").isNotEmpty();
            leasesAtFreeze.forEach((name, epoch) -> assertThat(leasesTaken.get(name))
                .as("lease %s, held by the zombie at epoch %d", name, epoch)
                .matches(l -> !frozenId.equals(l.owner()) && l.epoch() > epoch, "another owner's, at a higher epoch"));
            // From the server: the consumers the zombie read through are gone (a successor deletes them when it takes
            // a partition), so an acknowledgement it sends under its old epochs cannot move a floor.
            try {
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> consumersOf(server, leasesAtFreeze).isEmpty());
            } catch (ConditionTimeoutException e) {
                throw new AssertionError("the zombie's consumers still on the server 30 s after its partitions moved: "
                    + consumersOf(server, leasesAtFreeze), e);
            }

            TaggedReadModelChanges.mark(database, MARKERS, WOKEN);
            p1.send("release"); // read once it runs again: the held write goes on right after the wake-up
            long wokeAtMicros = nowMicros();
            p1.signal("CONT");
            String landed = p1.awaitLine("LANDED " + Pattern.quote(heldAggregate) + " (\\S+)", Duration.ofSeconds(60));
            // Whatever the held write did to the read model is in the change stream before this second marker.
            TaggedReadModelChanges.mark(database, MARKERS, LANDED);
            changes.awaitCaughtUp(Map.of(), List.of(WOKEN, LANDED), Duration.ofSeconds(60));
            assertThat(lateWrites(changes, p1.name(), frozenAtMillis)).as("the zombie's held write of %s %d..%d, and any "
                + "other it prepared before the freeze, landed after its wake-up", heldAggregate, heldFirst, heldLast)
                .isEmpty();
            assertThat(landed).as("the writer's answer to the zombie's held write of %s %d..%d", heldAggregate,
                heldFirst, heldLast).isEqualTo(Collections.nCopies((int) (heldLast - heldFirst + 1), "DUPLICATE").toString().replace(" ", ""));
            // Seen from outside as well: the zombie's own counters took the refusal.
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> statusNumber(p1, "duplicates") >= duplicatesBefore + (heldLast - heldFirst + 1));
            long refusedLate = statusNumber(p1, "duplicates") - duplicatesBefore;
            awaitBalanced(List.of(p1, p2, p3), "the zombie's return");

            // A leave: a fourth joins, then one is killed -9 while holding delivered, unacknowledged messages
            awaitAppended(load, EVENTS * 3 / 6);
            ChildProcess p4 = startProjector("projector-4");
            awaitBalanced(List.of(p1, p2, p3, p4), "a join (4 instances)");
            awaitAppended(load, EVENTS * 4 / 6);
            String killedId = instanceOf(p2);
            p2.kill();
            List<AtKill> atKill = consumersAtKill(server, database, killedId);
            long leaveMillis = awaitBalanced(List.of(p1, p3, p4), "a leave (kill -9, 3 instances)");
            List<String> inFlightAtKill = unacknowledgedAtKill(server, atKill);

            assertThat(load.awaitDone(3, TimeUnit.MINUTES)).isTrue();
            Map<String, Long> stored = storedVersions(database);
            changes.awaitCaughtUp(stored, List.of(WOKEN), Duration.ofMinutes(3));

            List<Logged> logged = new ArrayList<>();
            for (ChildProcess projector : adminPorts.keySet()) {
                logged.addAll(parse(dir.resolve(projector.name() + ".err")));
            }
            List<TaggedReadModelChanges.Write> lateZombieWrites = lateWrites(changes, p1.name(), frozenAtMillis);
            List<Logged> zombieAcks = logged.stream().filter(e -> e.instance().equals(frozenId)
                && leasesAtFreeze.containsKey(leaseName(e.partition())) && e.epoch() == leasesAtFreeze.get(leaseName(e.partition()))
                && e.wallMicros() > wokeAtMicros && e.kind().equals("ACKNOWLEDGED")).toList();
            long unacknowledgedAtKillLogged = unacknowledged(logged, killedId);
            Map<String, Long> readModel = readModelVersions(database);
            System.out.printf("NatsOwnershipEvidenceIT: balanced %d ms after the join, %d ms after the leave; the "
                    + "zombie %s held %s %d..%d at the freeze, %d late writes refused (its /status), %d landed late, "
                    + "%d acknowledgements under its old epochs after waking (%d write and %d acknowledgement refusals "
                    + "logged); the killed %s: delivered, unacknowledged on the server %s (%d partitions by its own "
                    + "log); %d landed writes observed, %d aggregates%n", joinMillis, leaveMillis, frozenId,
                heldAggregate, heldFirst, heldLast, refusedLate, lateZombieWrites.size(), zombieAcks.size(),
                logged.stream().filter(e -> e.instance().equals(frozenId) && e.kind().equals("WRITE_REFUSED")).count(),
                logged.stream().filter(e -> e.instance().equals(frozenId) && e.kind().equals("REFUSED")).count(),
                killedId, inFlightAtKill, unacknowledgedAtKillLogged, changes.writes().size(), stored.size());

            assertThat(lateZombieWrites).as("writes the zombie prepared before its freeze that landed after its wake-up")
                .isEmpty();
            assertThat(refusedLate).as("the zombie's late writes refused").isPositive();
            assertThat(inFlightAtKill).as("the killed owner's partitions where, on the server, its successor started "
                + "at or below a sequence the killed owner had been delivered (read right after the kill): %s", atKill)
                .isNotEmpty();
            assertThat(zombieAcks).as("Ferry's own account (its ownership log): acknowledgements of the zombie under "
                + "its old epochs after waking").isEmpty();
            assertThat(unacknowledgedAtKillLogged).as("Ferry's own account (its ownership log): partitions the killed "
                + "owner had delivered beyond what it acknowledged").isPositive();
            assertThat(changes.unreadable()).as("changes of the read model that are not tagged writes").isEmpty();
            assertThat(changes.orderViolations()).as("writes that repeated or regressed a version").isEmpty();
            assertThat(readModel).as("the read model: each aggregate at its last stored version").isEqualTo(stored);
            awaitServerAckFloorsAtLastSequences(server, database);
            assertAcknowledgementsChain(logged);
            assertThat(database.getCollection("ferry_parked").countDocuments()).as("events parked").isZero();
        }
    }

    /**
     * Ferry's own account (its ownership log), not the server's: per partition, the acknowledged ranges of all owners
     * (instance and epoch) in order: each starts right after the previous one ended (a new owner starts at the ack
     * floor), the first at sequence 1 — no overlap, no gap. The server's side is
     * {@link #awaitServerAckFloorsAtLastSequences}.
     */
    private static void assertAcknowledgementsChain(List<Logged> logged) {
        Map<String, List<Logged>> byPartition = logged.stream().filter(e -> e.kind().equals("ACKNOWLEDGED"))
            .collect(Collectors.groupingBy(Logged::partition));
        assertThat(byPartition).hasSize(PARTITIONS);
        byPartition.forEach((partition, acks) -> {
            List<Logged> ordered = acks.stream().sorted(Comparator.comparingLong(Logged::from)).toList();
            assertThat(ordered.get(0).from()).as("Ferry's ownership log: the first acknowledgement of %s", partition)
                .isEqualTo(1);
            for (int i = 1; i < ordered.size(); i++) {
                Logged before = ordered.get(i - 1);
                Logged next = ordered.get(i);
                assertThat(next.from()).as("Ferry's ownership log, %s: %s@%d acknowledged %d..%d, then %s@%d %d..%d",
                    partition,
                    before.instance(), before.epoch(), before.from(), before.to(), next.instance(), next.epoch(),
                    next.from(), next.to()).isEqualTo(before.to() + 1);
            }
        });
    }

    /** Writes landed after the wake-up marker that the zombie prepared before it was frozen. */
    private static List<TaggedReadModelChanges.Write> lateWrites(TaggedReadModelChanges changes, String zombie,
                                                                 long frozenAtMillis) {
        long woken = changes.markerIndex(WOKEN);
        return changes.writes().stream()
            .filter(w -> w.index() > woken && w.writer().equals(zombie) && w.preparedAtMillis() < frozenAtMillis)
            .toList();
    }

    /** {@code patient-3} → {@code ferry.patient.3}. */
    private static String subjectOf(String partition) {
        int dash = partition.lastIndexOf('-');
        return SUBJECTS.subject(partition.substring(0, dash), Integer.parseInt(partition.substring(dash + 1)));
    }

    /** The server's consumers of the partitions in {@code leases} (lease name → epoch) at those epochs. */
    private static List<String> consumersOf(Connection server, Map<String, Long> leases) throws Exception {
        List<String> left = new ArrayList<>();
        for (ConsumerInfo consumer : server.jetStreamManagement().getConsumers(SUBJECTS.stream())) {
            leases.forEach((lease, epoch) -> {
                if (subjectOf(lease.substring(LEASE_PREFIX.length())).equals(
                    consumer.getConsumerConfiguration().getFilterSubject()) && consumer.getName().endsWith("_e" + epoch)) {
                    left.add(consumer.getName());
                }
            });
        }
        return left;
    }

    /** A killed instance's consumer as the server held it right after the kill. */
    private record AtKill(String subject, long epoch, String consumer, long ackFloor, long delivered) {
    }

    /**
     * Read on the server right after a kill, as ferry-it's {@code WorkInFlightAtKill}: the consumers first, then the
     * leases; a lease still naming the killed instance after the consumers were read had no other owner meanwhile, so
     * its consumer at that epoch is the killed instance's.
     */
    private static List<AtKill> consumersAtKill(Connection server, MongoDatabase database, String killed)
        throws Exception {
        List<ConsumerInfo> consumers = server.jetStreamManagement().getConsumers(SUBJECTS.stream());
        List<AtKill> atKill = new ArrayList<>();
        partitionLeasesOf(database, killed).forEach((lease, epoch) -> {
            String subject = subjectOf(lease.substring(LEASE_PREFIX.length()));
            consumers.stream().filter(c -> subject.equals(c.getConsumerConfiguration().getFilterSubject())
                    && c.getName().endsWith("_e" + epoch))
                .forEach(c -> atKill.add(new AtKill(subject, epoch, c.getName(), floorOf(c),
                    c.getDelivered().getStreamSequence())));
        });
        return atKill;
    }

    /**
     * The killed instance's partitions whose successor (a consumer at a higher epoch) starts at or below a sequence the
     * killed instance had been delivered: delivered, never acknowledged. Decided by the successor's start sequence (the
     * server's ack floor of the killed consumer when the successor took over, seconds after the death), not by the
     * floor read right after the kill, which an acknowledgement still in the dead connection's socket could lag.
     * Read once the partitions are balanced again: a moved partition moves once (the survivors are below their share
     * until they take one), so the consumer found is the successor's.
     */
    private static List<String> unacknowledgedAtKill(Connection server, List<AtKill> atKill) throws Exception {
        Map<String, ConsumerInfo> successors = new HashMap<>();
        try {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
                for (ConsumerInfo c : server.jetStreamManagement().getConsumers(SUBJECTS.stream())) {
                    atKill.stream().filter(k -> k.subject().equals(c.getConsumerConfiguration().getFilterSubject())
                            && epochOf(c) > k.epoch())
                        .forEach(k -> successors.putIfAbsent(k.subject(), c));
                }
                return successors.keySet().containsAll(atKill.stream().map(AtKill::subject).toList());
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("no successor's consumer on the server within 30 s for all of " + atKill
                + "; found " + successors.keySet(), e);
        }
        List<String> unacknowledged = new ArrayList<>();
        for (AtKill k : atKill) {
            ConsumerInfo successor = successors.get(k.subject());
            Long start = successor.getConsumerConfiguration().getStartSequence();
            long resumedAfter = start == null ? 0 : start - 1;
            if (resumedAfter < k.delivered()) {
                unacknowledged.add(k.consumer() + " delivered " + k.delivered() + ", " + successor.getName()
                    + " starts at " + (resumedAfter + 1));
            }
        }
        return unacknowledged;
    }

    /** As a new owner reads it: a consumer that has acknowledged nothing yet reports 0, its start - 1 counts. */
    private static long floorOf(ConsumerInfo consumer) {
        Long start = consumer.getConsumerConfiguration().getStartSequence();
        return Math.max(consumer.getAckFloor().getStreamSequence(), start == null ? 0 : start - 1);
    }

    /** {@code <group>_<type>_<n>_e<epoch>}. */
    private static long epochOf(ConsumerInfo consumer) {
        return Long.parseLong(consumer.getName().substring(consumer.getName().lastIndexOf("_e") + 2));
    }

    /**
     * From the server: every partition's consumer of its current owner (the lease's epoch) has acknowledged up to the
     * last sequence the stream holds on that partition's subject — nothing left unacknowledged. Awaited: the read
     * model can be caught up a moment before the last acknowledgement reaches the server (bound: 30 s, far above an
     * acknowledgement's round trip even on a loaded 2-core machine).
     */
    private static void awaitServerAckFloorsAtLastSequences(Connection server, MongoDatabase database)
        throws Exception {
        try {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> unacknowledgedOnServer(server, database).isEmpty());
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("partitions whose current owner's consumer is not acknowledged up to the stream's "
                + "last sequence of its subject within 30 s: " + unacknowledgedOnServer(server, database), e);
        }
    }

    private static Map<String, String> unacknowledgedOnServer(Connection server, MongoDatabase database)
        throws Exception {
        JetStreamManagement management = server.jetStreamManagement();
        List<ConsumerInfo> consumers = management.getConsumers(SUBJECTS.stream());
        Map<String, Lease> leases = partitionLeases(database);
        Map<String, String> behind = new TreeMap<>();
        assertThat(leases).as("partition leases").hasSize(PARTITIONS);
        for (Map.Entry<String, Lease> lease : leases.entrySet()) {
            String subject = subjectOf(lease.getKey().substring(LEASE_PREFIX.length()));
            long last = management.getLastMessage(SUBJECTS.stream(), subject).getSeq();
            ConsumerInfo consumer = consumers.stream()
                .filter(c -> subject.equals(c.getConsumerConfiguration().getFilterSubject())
                    && c.getName().endsWith("_e" + lease.getValue().epoch()))
                .findFirst().orElse(null);
            long floor = consumer == null ? -1 : floorOf(consumer);
            if (floor != last) {
                behind.put(subject, (consumer == null ? "no consumer at epoch " + lease.getValue().epoch()
                    : consumer.getName() + " ack floor " + floor) + ", last sequence " + last);
            }
        }
        return behind;
    }

    private static String leaseName(String partition) {
        return READ_MODEL + ".partition." + partition;
    }

    private static Map<String, Long> partitionLeasesOf(MongoDatabase database, String instance) {
        Map<String, Long> held = new HashMap<>();
        partitionLeases(database).forEach((name, lease) -> {
            if (instance.equals(lease.owner())) {
                held.put(name, lease.epoch());
            }
        });
        return held;
    }

    private record Lease(String owner, long epoch) {
    }

    private static Map<String, Lease> partitionLeases(MongoDatabase database) {
        Map<String, Lease> leases = new HashMap<>();
        for (Document lease : database.getCollection("ferry_leases")
            .find(Filters.regex("_id", "^" + Pattern.quote(READ_MODEL + ".partition.")))) {
            leases.put(lease.getString("_id"), new Lease(lease.getString("owner"),
                ((Number) lease.get("epoch")).longValue()));
        }
        return leases;
    }

    /** Each aggregate's last stored version, from the event store's commits. */
    private static Map<String, Long> storedVersions(MongoDatabase database) {
        Map<String, Long> versions = new HashMap<>();
        for (Document group : database.getCollection("events").aggregate(List.of(
            Aggregates.group("$aggregateId", Accumulators.max("last", "$lastVersion"))))) {
            versions.put(group.getString("_id"), ((Number) group.get("last")).longValue());
        }
        return versions;
    }

    private static Map<String, Long> readModelVersions(MongoDatabase database) {
        Map<String, Long> versions = new HashMap<>();
        for (Document document : database.getCollection(READ_MODEL).find()) {
            versions.put(document.getString("_id"), ((Number) document.get("_version")).longValue());
        }
        return versions;
    }

    private long statusNumber(ChildProcess projector, String field) {
        Matcher m = Pattern.compile("\"" + field + "\":(\\d+)").matcher(status(projector));
        assertThat(m.find()).as("%s in the /status of %s", field, projector.name()).isTrue();
        return Long.parseLong(m.group(1));
    }

    /** Ferry's own account (its ownership log): partitions the instance had delivered beyond what it acknowledged. */
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
        ChildProcess process = ChildProcess.start(name, BuiltJars.running(args[0]), dir, environment, args);
        processes.add(process);
        return process;
    }

    /** A projector with the test's write gate and tagged writes ({@code ProjectorWithWriteGate}), named as it tags. */
    private ChildProcess startProjector(String name) throws IOException {
        ChildProcess projector = ChildProcess.startMain(name, BuiltJars.SERVICE,
            List.of(BuiltJars.locationOf(ProjectorWithWriteGate.class)), ProjectorWithWriteGate.class.getName(), dir,
            env, List.of("-Xmx384m", "-Dferry.test.writer=" + name,
                "-Dlog4j2.configurationFile=log4j2.xml"), // the jar's, not this module's test one
            config.toString());
        processes.add(projector);
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
              projection: %s
              aggregateTypes: [patient, practitioner]
            admin:
              bind: 127.0.0.1
              port: 0
            """.formatted(Instant.now().minusSeconds(5), READ_MODEL));
        return file;
    }
}
