package dev.ferry.local.demo.replication;

import java.io.PrintStream;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.ferry.engine.ReplicationProcessor;

/**
 * One target's replicator kill in the replication demo: the first replicator owning partitions, abruptly; then how
 * long until the others own its partitions.
 */
final class ReplicatorKill {

    private final String target;
    private final List<ReplicationProcessor> replicators;
    private final PrintStream progress;
    private ReplicationProcessor killed;
    private Set<String> orphaned = Set.of();
    private long killedAt;
    private long millis = -1;

    ReplicatorKill(String target, List<ReplicationProcessor> replicators, PrintStream progress) {
        this.target = target;
        this.replicators = replicators;
        this.progress = progress;
    }

    void step() {
        if (killed == null) {
            killed = replicators.stream().filter(r -> !r.status().assigned().isEmpty()).findFirst().orElse(null);
            if (killed != null) {
                orphaned = killed.status().assigned();
                progress.printf("%n>>> killing replicator %s-%d owning %s (no commit, no leave)%n",
                    target, replicators.indexOf(killed) + 1, orphaned);
                killed.kill();
                killedAt = System.nanoTime();
            }
        } else if (millis < 0) {
            Set<String> owned = new HashSet<>();
            replicators.stream().filter(r -> r != killed).forEach(r -> owned.addAll(r.status().assigned()));
            if (owned.containsAll(orphaned)) {
                millis = (System.nanoTime() - killedAt) / 1_000_000;
                progress.printf("%n>>> its partitions moved to the other %s replicators in %d ms%n", target, millis);
            }
        }
    }

    /** Milliseconds from the kill until the others owned its partitions; -1 until then. */
    long millis() {
        return millis;
    }
}
