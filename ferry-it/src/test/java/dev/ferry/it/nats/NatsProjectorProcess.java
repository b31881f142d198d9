package dev.ferry.it.nats;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;

import dev.ferry.core.projection.Projection;
import dev.ferry.engine.ProcessorSettings;
import dev.ferry.engine.ProcessorStatus;
import dev.ferry.engine.ProjectionProcessor;
import dev.ferry.it.support.Pipeline;
import dev.ferry.it.support.TestProjections;
import dev.ferry.mongodb.lease.MongoLeaseStore;
import dev.ferry.mongodb.parking.MongoParkedEvents;
import dev.ferry.mongodb.readmodel.MongoReadModelWriter;
import dev.ferry.nats.NatsSettings;
import dev.ferry.nats.subscription.NatsPartitionSubscription;

/**
 * Test-only child process: one projector instance on NATS wired as {@link Pipeline#startProjector} wires one in the
 * test's JVM (the counter projection, the same writer, parked store and partition leases), except that its writer
 * keeps its apply log on: nothing reads that log (the evidence is the read model's change stream), it only makes each
 * write heavier, which widens the window in which a kill lands between a write and its acknowledgement (with
 * it off, one run's kills all landed with nothing applied beyond the ack floor). A process of its own so that a test
 * can kill it with SIGKILL: then nothing of it writes any more, not even runs already queued to its
 * read-model writer's thread (an in-process kill stops the engine but not that thread).
 * <p>
 * Prints {@code STATUS <applied> <owned partitions, comma-separated>} every 50 ms: the test uses it only to time the
 * kill, never as evidence. Exits when its stdin closes (the test's JVM is gone).
 * <p>
 * Arguments: {@code <mongoUri> <database> <natsUrl> <stream> <projection> <instanceId>}.
 */
public final class NatsProjectorProcess {

    private NatsProjectorProcess() {
    }

    public static void main(String[] args) throws Exception {
        exitWhenParentGoes();
        MongoClient client = MongoClients.create(args[0]);
        MongoDatabase database = client.getDatabase(args[1]);
        NatsSettings settings = NatsSettings.local(args[2], args[3]);
        Projection projection = TestProjections.counter(args[4]);
        String instanceId = args[5];
        ProjectionProcessor processor = new ProjectionProcessor(projection, new MongoReadModelWriter(database, true),
            new MongoParkedEvents(database), ProcessorSettings.DEFAULT,
            new NatsPartitionSubscription(settings, new MongoLeaseStore(database, Pipeline.LEASES), projection.name(),
                instanceId, NatsPartitionSubscription.PARTITION_LEASES, event -> { }),
            instanceId);
        processor.start();
        while (true) {
            ProcessorStatus status = processor.status();
            System.out.println("STATUS " + status.applied() + " " + String.join(",", status.assigned()));
            System.out.flush();
            Thread.sleep(50); // a reporting period, not a wait for anything
        }
    }

    private static void exitWhenParentGoes() {
        Thread watcher = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                while (in.readLine() != null) {
                    // nothing is sent; end of input means the test's JVM is gone
                }
            } catch (Exception e) {
                // the same
            }
            Runtime.getRuntime().halt(3);
        }, "parent-watch");
        watcher.setDaemon(true);
        watcher.start();
    }
}
