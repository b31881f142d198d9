package dev.ferry.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import dev.ferry.core.event.Event;
import dev.ferry.core.projection.HandlerContext;
import dev.ferry.core.projection.ReadModelWriter.Outcome;
import dev.ferry.core.subscription.SubscribedRecord;
import dev.ferry.core.target.ParkedEvents.ParkedEvent;
import dev.ferry.core.target.TargetUnavailable;

/**
 * What the engine's lanes do with the records of one key: the part that differs between a projector (events into a
 * read model) and a replicator (entity changes into a replica). Everything else — key-ordered lanes, runs, retries
 * with backoff, sequenced parking, the dependency breaker, operators' requests, the write fence and the
 * acknowledgements — is the {@link Engine}'s, the same for every target.
 *
 * @param <R> a decoded record
 * @param <S> a record made ready to write (a projector: the event with its handler's change)
 */
public interface LaneTarget<R, S> {

    /** The consumer group and the parked records' namespace (a projection's name, a replica's). */
    String name();

    /** The types (topics less their prefix) read. */
    Set<String> types();

    /**
     * The record in its wire format, decoded.
     *
     * @return null if it asks for nothing (an entity's tombstone): it is finished as it is
     * @throws Undecodable if the value is not a record of this target (it is parked with its raw value)
     */
    R decode(SubscribedRecord record);

    /** The target's work before the write (a projection's handler); may call dependencies through the context. */
    S prepare(R record, HandlerContext context) throws Exception;

    /** The key a handler's side effects are made idempotent with: unique per record, the same when redelivered. */
    String idempotencyKey(R record);

    /** One version-checked write of a run of one key's records, in order; one outcome per step. */
    List<Outcome> writeRun(List<S> run);

    /**
     * The runs of several keys (each key's records in order), in one round trip where the target can. One entry per
     * run: its outcomes, or null if it was not written (it failed, or the target went down before it). A run not
     * written, or all of them if this throws, is written again on its own (a version-checked write again is safe:
     * what did land is a duplicate then). By default, one {@link #writeRun} after another.
     */
    default List<List<Outcome>> writeRuns(List<List<S>> runs) {
        List<List<Outcome>> outcomes = new ArrayList<>(runs.size());
        boolean down = false;
        for (List<S> run : runs) {
            if (down) {
                outcomes.add(null); // every write would wait for the target: left for the retrying way
                continue;
            }
            try {
                outcomes.add(writeRun(run));
            } catch (TargetUnavailable unavailable) {
                down = true;
                outcomes.add(null);
            } catch (RuntimeException failed) {
                outcomes.add(null);
            }
        }
        return outcomes;
    }

    /** One version-checked write. */
    Outcome write(S step);

    /** An operator's deliberate skip of a parked record. */
    void skip(R record, String reason);

    /** The record for messages: e.g. {@code version 7}. */
    String describe(R record);

    /** Why a record is a gap, for the parked record: e.g. {@code the read model of patient/p-1 is at version 5}. */
    String gap(R record);

    /** The event to keep with a parked record, or null to keep its raw value (it is decoded again on retry). */
    Event parkedAs(R record);

    /**
     * A parked record, to apply again on an operator's retry.
     *
     * @throws Undecodable if it was parked because it could not be decoded
     */
    R fromParked(ParkedEvent parked);

    /** A value that is not a record of this target; the message says why. */
    final class Undecodable extends RuntimeException {
        public Undecodable(String message) {
            super(message, null, false, false);
        }
    }
}
