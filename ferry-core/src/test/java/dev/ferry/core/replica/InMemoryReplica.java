package dev.ferry.core.replica;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.replica.ChangeRuns.Plan;
import dev.ferry.core.replica.ChangeRuns.Run;
import dev.ferry.core.replica.ReplicaWriter.Outcome;

/**
 * A replica in memory, written the way the real writers write (plan each id's run over the version read, then write
 * only if that version is still stored, else plan again), with a log of every state stored, by any writer or by hand.
 * A {@link Fault} leaves one part of that out, as a broken writer would.
 */
public final class InMemoryReplica {

    /** What a broken writer leaves out. */
    public enum Fault {
        NONE,
        /** Every change is applied, whatever version is stored. */
        IGNORES_THE_STORED_VERSION,
        /** Planned over the version read, but written without checking it is still the one stored. */
        WRITES_UNCONDITIONALLY
    }

    private record State(EntityVersion version, String documentJson, Instant deletedAt) {
    }

    private final Fault fault;
    private final Supplier<Instant> clock;
    private final Duration retention;
    private final Map<String, State> states = new HashMap<>(); // by entity and id; guarded by this
    private final List<ReplicaWrite> log = new ArrayList<>(); // guarded by this

    public InMemoryReplica(Fault fault, Supplier<Instant> clock, Duration retention) {
        this.fault = fault;
        this.clock = clock;
        this.retention = retention;
    }

    /** A writer of this replica that runs {@code beforeWrite} between reading the stored versions and writing. */
    public ReplicaWriter writer(Runnable beforeWrite) {
        return new Writer(beforeWrite);
    }

    public synchronized List<ReplicaWrite> log() {
        return List.copyOf(log);
    }

    /** The live document stored for the id, if any. */
    public synchronized Optional<String> document(String entity, String id) {
        return Optional.ofNullable(states.get(key(entity, id))).map(State::documentJson);
    }

    /** When the id's tombstone was written, if it is one. */
    public synchronized Optional<Instant> deletedAt(String entity, String id) {
        return Optional.ofNullable(states.get(key(entity, id))).map(State::deletedAt);
    }

    public synchronized Object snapshot() {
        return new HashMap<>(states);
    }

    /** Stores a state behind every writer's back (logged, as a database's own log would). */
    public synchronized void plant(String entity, String id, EntityVersion version, String documentJson) {
        store(key(entity, id), id, new State(version, documentJson, null));
    }

    private void store(String key, String id, State state) {
        states.put(key, state);
        log.add(new ReplicaWrite(id, state.version(), state.deletedAt() != null));
    }

    private static String key(String entity, String id) {
        return entity + '\u0000' + id;
    }

    private final class Writer implements ReplicaWriter {

        private final Runnable beforeWrite;

        Writer(Runnable beforeWrite) {
            this.beforeWrite = beforeWrite;
        }

        @Override
        public List<Outcome> write(List<EntityChange> changes) {
            ChangeRuns runs = ChangeRuns.of(changes);
            Map<Run, State> read = new LinkedHashMap<>();
            synchronized (InMemoryReplica.this) {
                runs.runs().forEach(run -> read.put(run, states.get(key(run.entity(), run.id()))));
            }
            beforeWrite.run();
            List<Plan> plans = new ArrayList<>();
            read.forEach((run, seen) -> plans.add(write(run, seen)));
            return runs.outcomes(plans);
        }

        private Plan write(Run run, State seen) {
            String key = key(run.entity(), run.id());
            while (true) {
                Plan plan = fault == Fault.IGNORES_THE_STORED_VERSION
                    ? new Plan(run, Collections.nCopies(run.changes().size(), Outcome.APPLIED), run.changes().get(run.changes().size() - 1))
                    : run.plan(seen == null ? null : seen.version());
                if (plan.write() == null) {
                    return plan;
                }
                synchronized (InMemoryReplica.this) {
                    State now = states.get(key);
                    if (fault == Fault.NONE && !Objects.equals(now, seen)) {
                        seen = now; // moved on since it was read: plan again over what is stored
                        continue;
                    }
                    EntityChange last = plan.write();
                    store(key, run.id(), new State(last.version(), last.documentJson(),
                        last.documentJson() == null ? clock.get() : null));
                    return plan;
                }
            }
        }

        @Override
        public Optional<StoredVersion> stored(String entity, String id) {
            synchronized (InMemoryReplica.this) {
                return Optional.ofNullable(states.get(key(entity, id)))
                    .map(state -> new StoredVersion(state.version(), state.deletedAt() != null));
            }
        }

        @Override
        public long purgeTombstones() {
            Instant before = clock.get().minus(retention);
            synchronized (InMemoryReplica.this) {
                int was = states.size();
                states.values().removeIf(state -> state.deletedAt() != null && state.deletedAt().isBefore(before));
                return was - states.size();
            }
        }
    }
}
