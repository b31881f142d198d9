package dev.ferry.core.subscription.contract;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.EntityOperation;
import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.partition.KeyPartitioner;
import dev.ferry.core.relay.spi.RecordPublisher;
import dev.ferry.core.relay.spi.RecordPublisher.Provenance;
import dev.ferry.core.relay.spi.RecordRefused;
import dev.ferry.core.subscription.PartitionId;
import dev.ferry.core.subscription.PartitionedSubscription;
import dev.ferry.core.subscription.SubscribedRecord;
import dev.ferry.core.wire.EventJson;

/**
 * What every transport must do — its {@link RecordPublisher} and the {@link PartitionedSubscription} that reads what
 * it published — shown against the transport's real servers. A transport module runs it as an IT that says how to
 * make its parts ({@code KafkaTransportContractIT}, {@code NatsTransportContractIT}); the scenarios are the same for
 * every transport:
 * <ul>
 * <li><b>order per key</b>: a key's records arrive in publish order, over partitions spread across instances;
 * <li><b>redelivery after a crash</b>: what an instance was given and never acknowledged is given again to the next
 *     owner, starting exactly where its acknowledgements left off;
 * <li><b>ownership hand-over</b>: instances join and leave while records flow; every partition is owned by one
 *     instance at a time, and no record is lost or reordered across a hand-over;
 * <li><b>refusals</b> every transport shares: a type that cannot be a topic, the reserved dead-letter type, a record
 *     over the size limit — refused while preparing, naming the field and the rule.
 * </ul>
 * Each scenario publishes a few hundred events of a type of its own, to a group of its own. The instances stand in
 * for the engine ({@link Subscriber}) and report to one {@link Ledger}, whose rules are checked as they go.
 * {@code TransportContractCanFailTest} (ferry-core) runs the scenarios against deliberately broken transports in
 * memory, to show each can fail.
 */
@Timeout(180)
public abstract class TransportContract {

    private static final AtomicLong NAMES = new AtomicLong();

    /** A publisher for one relay term; the scenario closes it. */
    protected abstract RecordPublisher publisher();

    /** A new subscription, not yet opened: instance {@code instance} of the group (projection) {@code group}. */
    protected abstract PartitionedSubscription subscription(String group, String instance);

    /**
     * Ends an opened subscription as a crashed process would: nothing acknowledged, nothing handed back; its partitions
     * move once the transport notices. Called on the subscription's polling thread.
     */
    protected abstract void crash(PartitionedSubscription subscription);

    /** Partitions per type: a key's partition number must be {@link KeyPartitioner}'s for this count. */
    protected abstract int partitions();

    /** The size limit as the transport's refusal names it (e.g. {@code max.request.size}). */
    protected abstract String sizeLimit();

    /** Makes a new type's topic or subjects exist before instances subscribe to it, as provisioning does. */
    protected void provision(String type) {
    }

    /**
     * How long a scenario waits for what the transport does eventually; a crashed instance's partitions move only
     * after its session or leases time out.
     */
    protected Duration patience() {
        return Duration.ofSeconds(60);
    }

    private String type;
    private String group;
    private Ledger ledger;
    private final List<Subscriber> subscribers = new ArrayList<>();
    private final List<RecordPublisher> publishers = new CopyOnWriteArrayList<>();
    private long sequence;

    @BeforeEach
    void freshTypeAndGroup() {
        long n = NAMES.incrementAndGet();
        String unique = Long.toString(System.nanoTime(), 36) + n;
        type = "contract" + unique;
        group = "g" + unique;
        ledger = new Ledger();
        provision(type);
    }

    @AfterEach
    void stopEverything() {
        AssertionError failed = null;
        for (Subscriber subscriber : subscribers) {
            try {
                if (subscriber.alive()) {
                    subscriber.leave();
                }
            } catch (AssertionError e) {
                failed = e;
            }
        }
        publishers.forEach(RecordPublisher::close);
        if (failed != null) {
            throw failed;
        }
    }

    /**
     * Two instances share the partitions; 30 keys' events, interleaved, reach them: every key's versions in order,
     * each record whole (type, key, the published value) and in its key's one partition.
     */
    @Test
    void eachKeysRecordsArriveInPublishOrderAcrossPartitionsAndInstances() throws Exception {
        Subscriber a = start("a");
        Subscriber b = start("b");
        awaitBalancedOver(List.of(a, b));

        publish(events(30, 1, 10));
        awaitEverythingDelivered();

        assertRules();
        for (Ledger.Delivery delivery : ledger.deliveries()) {
            SubscribedRecord record = delivery.record();
            Event event = delivery.event();
            assertThat(record.aggregateType()).as("the type of %s", event.eventId()).isEqualTo(type);
            assertThat(record.key()).as("the key of %s", event.eventId()).isEqualTo(event.aggregateId());
            assertThat(new String(record.value(), UTF_8)).isEqualTo(EventJson.encode(event));
            assertThat(record.partition().number()).as("the partition of key %s", event.aggregateId())
                .isEqualTo(KeyPartitioner.partitionOf(event.aggregateId(), partitions()));
        }
        assertThat(ledger.deliveredTo(null)).as("records given, each once: nothing moved while they flowed").hasSize(300);
    }

    /**
     * An instance acknowledges 150 records, is given 150 more and dies before acknowledging them: the next owner is
     * given exactly those again — none of the acknowledged ones, none skipped — each key in order.
     */
    @Test
    void aSubscriberKilledBeforeAcknowledgingHasItsRecordsGivenAgainToTheNextOwner() throws Exception {
        Subscriber a = start("a");
        awaitBalancedOver(List.of(a));
        List<Event> acknowledged = events(15, 1, 10);
        publish(acknowledged);
        awaitUntil("the first 150 records acknowledged", () -> ledger.notAcknowledged().isEmpty(),
            () -> "not acknowledged: " + ids(ledger.notAcknowledged()));

        a.stopAcknowledging();
        List<Event> held = events(15, 11, 20);
        publish(held);
        awaitUntil("the next 150 records given to a", () -> ledger.deliveredTo("a").containsAll(held),
            () -> "not given to a: " + missing(held, ledger.deliveredTo("a")));
        a.crash();

        Subscriber b = start("b");
        awaitUntil("the records a held, given again to the next owner", () -> ledger.deliveredTo("b").containsAll(held),
            () -> "not given to b: " + missing(held, ledger.deliveredTo("b")) + "; owners " + ledger.holders());
        assertRules();
        assertThat(ledger.deliveredTo("b")).as("what the next owner was given: exactly what a never acknowledged")
            .containsExactlyInAnyOrderElementsOf(held);
    }

    /**
     * 400 records flow while a second instance joins and the first leaves in an orderly way: each partition has one
     * owner at a time, handed back before the next gains it; in the end every record was given, each key in order,
     * nothing acknowledged given again.
     */
    @Test
    void ownershipHandedOverAsInstancesJoinAndLeaveLosesAndReordersNothing() throws Exception {
        Subscriber a = start("a");
        awaitBalancedOver(List.of(a));
        publish(events(20, 1, 5));

        Subscriber b = start("b"); // joins while the next records are published and given
        publish(events(20, 6, 10));
        awaitBalancedOver(List.of(a, b));
        publish(events(20, 11, 15));

        // a leaves while the last records are being published
        CompletableFuture<Void> last = CompletableFuture.runAsync(() -> publish(events(20, 16, 20)));
        a.leave();
        last.get(patience().toSeconds(), TimeUnit.SECONDS);
        awaitBalancedOver(List.of(b));
        awaitEverythingDelivered();

        assertRules();
        assertThat(ledger.deliveredTo("a")).as("given to a").isNotEmpty();
        assertThat(ledger.deliveredTo("b")).as("given to b").isNotEmpty();
    }

    /**
     * What no transport can carry is refused while preparing, before anything is sent, naming the field and the rule:
     * a type that cannot be a topic or subject, the reserved dead-letter type, a record over the size limit. A record
     * refused so fails its publish with the same refusal.
     */
    @Test
    void whatNoTransportCanCarryIsRefusedWhilePreparingNamingTheFieldAndTheRule() {
        RecordPublisher publisher = open();
        assertThatThrownBy(() -> publisher.prepare(eventOf("bad type!", "{}")), "a type no topic or subject can be")
            .isInstanceOfSatisfying(RecordRefused.class, e -> assertThat(e.tooLarge()).isFalse())
            .hasMessageContaining("aggregateType").hasMessageContaining("bad type!");
        assertThatThrownBy(() -> publisher.prepare(entityOf("bad entity!")), "an entity no topic or subject can be")
            .isInstanceOf(RecordRefused.class).hasMessageContaining("entity").hasMessageContaining("bad entity!");
        assertThatThrownBy(() -> publisher.prepare(eventOf("dead-letter", "{}")), "the reserved dead-letter type")
            .isInstanceOf(RecordRefused.class).hasMessageContaining("aggregateType 'dead-letter' is reserved");
        assertThatThrownBy(() -> publisher.prepare(entityOf("dead-letter")), "the reserved dead-letter entity")
            .isInstanceOf(RecordRefused.class).hasMessageContaining("entity 'dead-letter' is reserved");
        assertThatThrownBy(() -> publisher.prepare(eventOf(type, "{\"x\":\"" + "x".repeat(1_100_000) + "\"}")),
            "a record over the size limit")
            .isInstanceOfSatisfying(RecordRefused.class, e -> assertThat(e.tooLarge()).isTrue())
            .hasMessageContaining(sizeLimit());
        Event fine = eventOf(type, "{}");
        assertThat(publisher.prepare(fine).record()).isEqualTo(fine);

        CompletableFuture<Void> sent = publisher.publish(eventOf("dead-letter", "{}"), new Provenance("contract", 1, 1));
        assertThatThrownBy(() -> sent.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(RecordRefused.class);
    }

    // ---- the scenarios' means

    private Subscriber start(String instance) {
        Subscriber subscriber = new Subscriber(instance, subscription(group, instance), Set.of(type), ledger,
            this::crash);
        subscribers.add(subscriber);
        subscriber.start();
        return subscriber;
    }

    private RecordPublisher open() {
        RecordPublisher publisher = publisher();
        publishers.add(publisher);
        return publisher;
    }

    /** Publishes in order with one publisher (a relay term) and waits for every acknowledgement. */
    private void publish(List<Event> events) {
        RecordPublisher publisher = open();
        List<CompletableFuture<Void>> acks = new ArrayList<>();
        for (Event event : events) {
            ledger.published(event);
            acks.add(publisher.publish(event, new Provenance("contract", 1, ++sequence)));
        }
        try {
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(patience().toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("publishing " + events.size() + " events failed", e);
        }
    }

    /** {@code keys} keys' versions {@code from..to}, interleaved: every key's first, then every key's second, … */
    private List<Event> events(int keys, long from, long to) {
        List<Event> events = new ArrayList<>();
        for (long version = from; version <= to; version++) {
            for (int k = 0; k < keys; k++) {
                String key = "k-" + k;
                events.add(new Event(type + "-" + key + "-" + version, type, key, version, "Noted",
                    Instant.parse("2026-12-06T10:00:00Z"), "{\"n\":" + version + "}", new EventMetadata(null, null)));
            }
        }
        return events;
    }

    private static Event eventOf(String type, String payload) {
        return new Event("e-" + System.nanoTime(), type, "k-1", 1, "Noted", Instant.parse("2026-12-06T10:00:00Z"),
            payload, new EventMetadata(null, null));
    }

    private static EntityChange entityOf(String entity) {
        return new EntityChange(entity, "p-1", EntityOperation.DELETE, EntityVersion.ofClusterTime(1764670000L, 5, 1),
            null, null, "clinic", "patients", 1764670000L, 5);
    }

    /** Every partition held by one instance, one of these, evenly (each holding all / n, rounded down or up). */
    private void awaitBalancedOver(List<Subscriber> members) {
        int fewest = partitions() / members.size();
        int most = (partitions() + members.size() - 1) / members.size();
        awaitUntil("every partition owned by one instance, evenly, of " + names(members), () -> {
            Map<PartitionId, Set<String>> holders = ledger.holders();
            return holders.size() == partitions() && holders.values().stream().allMatch(held -> held.size() == 1
                    && members.stream().anyMatch(m -> held.contains(m.id)))
                && members.stream().allMatch(m -> {
                    long owned = holders.values().stream().filter(held -> held.contains(m.id)).count();
                    return owned >= fewest && owned <= most;
                });
        }, () -> "owners " + ledger.holders());
    }

    private void awaitEverythingDelivered() {
        awaitUntil("every published record given to an instance", () -> ledger.neverDelivered().isEmpty(),
            () -> "never given: " + ids(ledger.neverDelivered()) + "; owners " + ledger.holders());
    }

    /** The rules of every moment, and order per key over the whole scenario. */
    private void assertRules() {
        assertThat(ledger.violations()).as("what the transport did that it must not").isEmpty();
        assertThat(ledger.ownedTwice()).as("partitions owned by two at once").isEmpty();
        assertThat(ledger.outOfOrder()).as("keys out of order").isEmpty();
    }

    private void awaitUntil(String what, BooleanSupplier condition, Supplier<String> state) {
        try {
            await().atMost(patience()).pollInterval(Duration.ofMillis(50)).until(condition::getAsBoolean);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("not within " + patience().toSeconds() + " s: " + what + "; " + state.get()
                + (ledger.ownedTwice().isEmpty() ? "" : "; owned by two at once: " + ledger.ownedTwice())
                + (ledger.violations().isEmpty() ? "" : "; violations " + ledger.violations()), e);
        }
    }

    private static List<String> names(Collection<Subscriber> members) {
        return members.stream().map(m -> m.id).toList();
    }

    private static List<String> ids(List<Event> events) {
        List<String> ids = events.stream().limit(20).map(Event::eventId).toList();
        return events.size() > 20 ? append(ids, "… (" + events.size() + ")") : ids;
    }

    private static List<String> append(List<String> list, String more) {
        List<String> all = new ArrayList<>(list);
        all.add(more);
        return all;
    }

    private static List<String> missing(List<Event> expected, List<Event> got) {
        return ids(expected.stream().filter(e -> !got.contains(e)).toList());
    }
}
