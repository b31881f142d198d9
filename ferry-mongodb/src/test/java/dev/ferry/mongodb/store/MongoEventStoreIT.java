package dev.ferry.mongodb.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoDatabase;

import dev.ferry.mongodb.MongoTestDatabase;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.event.NewEvent;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.core.store.ConcurrencyConflict;
import dev.ferry.core.store.EventTooLarge;

/** Appends are atomic, contiguous and conflict-checked without transactions; reads return events in order. */
@Timeout(120)
class MongoEventStoreIT {

    private static MongoTestDatabase mongo;
    private static MongoDatabase database;
    private MongoEventStore store;
    private String collection;

    @BeforeAll
    static void connect() {
        mongo = MongoTestDatabase.start("ferry_store");
        database = mongo.database();
    }

    @AfterAll
    static void disconnect() {
        mongo.close();
    }

    @BeforeEach
    void freshStore() {
        collection = "events_" + System.nanoTime();
        store = new MongoEventStore(database, collection, new TopicNaming("ferry."), 10_000).createIndexes();
    }

    @Test
    void appendsAssignContiguousVersionsAndReadReturnsThemInOrder() {
        store.append("patient", "p-1", 0, List.of(new NewEvent("PatientRegistered", "{\"name\":\"Ada\"}",
            new EventMetadata("corr-1", "cmd-1"))));
        store.append("patient", "p-1", 1, List.of(new NewEvent("PatientUpdated", "{\"ward\":3}"),
            new NewEvent("PatientUpdated", "{\"ward\":4}")));

        List<Event> events = store.read("patient", "p-1");
        assertThat(events).extracting(Event::version).containsExactly(1L, 2L, 3L);
        assertThat(events).extracting(Event::eventId).doesNotHaveDuplicates();
        assertThat(events.get(0).metadata()).isEqualTo(new EventMetadata("corr-1", "cmd-1"));
        assertThat(events.get(0).payloadJson()).contains("\"name\": \"Ada\"");
        assertThat(events.get(2).payloadJson()).contains("\"ward\": 4");
    }

    @Test
    void aConflictingAppendFailsNamingTheAggregateAndStoresNothing() {
        store.append("patient", "p-2", 0, List.of(new NewEvent("PatientRegistered", "{}")));

        assertThatThrownBy(() -> store.append("patient", "p-2", 0, List.of(new NewEvent("PatientRegistered", "{}"),
            new NewEvent("PatientUpdated", "{}"))))
            .isInstanceOf(ConcurrencyConflict.class)
            .hasMessageContaining("patient p-2").hasMessageContaining("expected version 0");
        assertThat(store.read("patient", "p-2")).hasSize(1);
    }

    @Test
    void anAppendExpectingAVersionThatDoesNotExistYetIsAConflict() {
        store.append("patient", "p-3", 0, List.of(new NewEvent("PatientRegistered", "{}")));

        assertThatThrownBy(() -> store.append("patient", "p-3", 5, List.of(new NewEvent("PatientUpdated", "{}"))))
            .isInstanceOf(ConcurrencyConflict.class);
        assertThatThrownBy(() -> store.append("patient", "p-new", 2, List.of(new NewEvent("PatientUpdated", "{}"))))
            .isInstanceOf(ConcurrencyConflict.class);
        assertThat(store.read("patient", "p-3")).hasSize(1);
        assertThat(store.read("patient", "p-new")).isEmpty();
    }

    @Test
    void racingAppendsOfTheSameVersionHaveExactlyOneWinner() throws Exception {
        int racers = 8;
        ExecutorService pool = Executors.newFixedThreadPool(racers);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Boolean>> results = new ArrayList<>();
        for (int i = 0; i < racers; i++) {
            int racer = i;
            results.add(pool.submit(() -> {
                start.await();
                try {
                    store.append("patient", "p-race", 0, List.of(new NewEvent("PatientRegistered",
                        "{\"racer\":" + racer + "}")));
                    return true;
                } catch (ConcurrencyConflict lost) {
                    return false;
                }
            }));
        }
        start.countDown();
        int winners = 0;
        for (Future<Boolean> result : results) {
            winners += result.get() ? 1 : 0;
        }
        pool.shutdown();

        assertThat(winners).isEqualTo(1);
        assertThat(store.read("patient", "p-race")).hasSize(1);
    }

    @Test
    void anAggregateTypeLongerThanTheContractAllowsIsRefusedBeforeAnythingIsStored() {
        String longest = "t".repeat(200);
        store.append(longest, "p-5", 0, List.of(new NewEvent("PatientRegistered", "{}")));

        // 201 characters fit a topic name with the prefix "ferry." (249), not the contract the relay reads commits by
        assertThatThrownBy(() -> store.append(longest + "x", "p-5", 0, List.of(new NewEvent("PatientRegistered", "{}"))))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("201 characters, over the commit "
                + "contract's 200");
        assertThat(store.read(longest + "x", "p-5")).isEmpty();
        assertThat(store.read(longest, "p-5")).hasSize(1);
    }

    @Test
    void anEventLargerThanTheBrokerAcceptsIsRefusedAtAppendTime() {
        String big = "{\"notes\":\"" + "x".repeat(20_000) + "\"}";

        assertThatThrownBy(() -> store.append("patient", "p-4", 0, List.of(new NewEvent("PatientRegistered", big))))
            .isInstanceOf(EventTooLarge.class).hasMessageContaining("over the broker's record limit of 10000 bytes");
        assertThat(store.read("patient", "p-4")).isEmpty();
    }

    @Test
    void knowsWhenItsOldestCommitWasAppended() {
        assertThat(store.firstCommitTime()).isEmpty();
        Instant before = Instant.now().minusMillis(1);
        store.append("patient", "p-6", 0, List.of(new NewEvent("PatientRegistered", "{}")));
        store.append("patient", "p-7", 0, List.of(new NewEvent("PatientRegistered", "{}")));

        assertThat(store.firstCommitTime()).get().satisfies(time -> assertThat(time).isAfterOrEqualTo(before.minusMillis(1))
            .isBeforeOrEqualTo(Instant.now()));
    }

    @Test
    void badInputIsRefusedWithAMessageNamingTheProblem() {
        assertThatThrownBy(() -> store.append("patient", "p-5", 0, List.of(new NewEvent("PatientRegistered", "not json"))))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not a JSON object");
        assertThatThrownBy(() -> store.append("patient record", "p-5", 0, List.of(new NewEvent("X", "{}"))))
            .hasMessageContaining("aggregate type 'patient record'");
        assertThatThrownBy(() -> store.append("patient", " ", 0, List.of(new NewEvent("X", "{}"))))
            .hasMessageContaining("aggregateId must not be blank");
        assertThatThrownBy(() -> store.append("patient", "p-5", 0, List.of()))
            .hasMessageContaining("at least one event");
        assertThat(database.getCollection(collection).countDocuments(new Document("aggregateId", "p-5"))).isZero();
    }
}
