package dev.ferry.mongodb.entity;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.EntityOperation;
import dev.ferry.core.relay.spi.Change;

/**
 * With a version field of the users' own: a change (a re-create, an update, a copied document) whose version is not
 * above its key's tombstone before it is refused — consumers would take it for older than the delete, and it would
 * be lost. Deletes are noted as their keys' latest tombstones, in the {@link TombstoneLedger}, before anything of the
 * batch is published, so a batch read again after a failover is judged the same way.
 */
final class TombstoneRule {

    private final TombstoneLedger ledger;
    private final String entity;
    private final String versionField;

    TombstoneRule(TombstoneLedger ledger, String entity, String versionField) {
        this.ledger = ledger;
        this.entity = entity;
        this.versionField = versionField;
    }

    /** The judging of one batch: its keys' recorded tombstones, loaded by one query, and the batch's deletes. */
    Batch batch(List<String> keys) {
        return new Batch(new HashMap<>(ledger.load(keys)));
    }

    final class Batch {

        private final Map<String, List<TombstoneLedger.Tombstone>> recorded;
        private final List<Map.Entry<String, TombstoneLedger.Tombstone>> deletes = new ArrayList<>();

        private Batch(Map<String, List<TombstoneLedger.Tombstone>> recorded) {
            this.recorded = recorded;
        }

        /**
         * @param position the change's stream position (a copy: the position noted before it)
         * @param idJson   the refused change's dead letter: its {@code _id} alone
         */
        Change judged(Change.EntityChanged changed, String position, String idJson) {
            EntityChange change = changed.change();
            List<TombstoneLedger.Tombstone> tombstones = recorded.computeIfAbsent(change.id(), k -> new ArrayList<>());
            if (change.operation() == EntityOperation.DELETE) {
                TombstoneLedger.Tombstone tombstone = new TombstoneLedger.Tombstone(position, change.version());
                if (tombstones.stream().noneMatch(t -> t.position().equals(position))) {
                    tombstones.add(tombstone);
                }
                deletes.add(Map.entry(change.id(), tombstone));
                return changed;
            }
            Optional<TombstoneLedger.Tombstone> before = TombstoneLedger.before(tombstones, position);
            if (before.isPresent() && !change.version().isAfter(before.get().version())) {
                return new Change.Refused(changed.token(), idJson, "entity " + entity + " id " + change.id() + ": "
                    + (change.operation() == EntityOperation.CREATE ? "re-created" : change.operation().wireName() + "d")
                    + " with " + versionField + " " + change.version() + ", not above its tombstone's "
                    + before.get().version() + "; not published (consumers would take it for older than the delete): "
                    + "a re-created document must carry a higher " + versionField + " than the one deleted",
                    Change.Refused.Cause.STALE_VERSION);
            }
            return changed;
        }

        /** Records the batch's deletes; before anything of the batch is published. */
        void finish() {
            ledger.record(deletes);
        }
    }
}
