package dev.ferry.local.demo;

import java.io.PrintStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.RelayStatus;

/**
 * The demos' relay failure: the leader relay killed abruptly (no lease release, producer not flushed) once the load
 * is far enough along, and how long until its successor published again — counted from the successor's first publish
 * after the kill (a relay's count covers all its terms, a lease flap's included).
 */
public final class LeaderRelayKill {

    private final List<ChangeStreamRelay> relays;
    private final PrintStream progress;
    private final Map<ChangeStreamRelay, Long> publishedAtKill = new HashMap<>();
    private ChangeStreamRelay killed;
    private long killedAt;
    private long failoverMillis = -1;

    public LeaderRelayKill(List<ChangeStreamRelay> relays, PrintStream progress) {
        this.relays = relays;
        this.progress = progress;
    }

    /** Called as the load goes on: kills the leader once {@code due}, then watches for its successor's publishing. */
    public void step(boolean due) {
        if (killed == null && due) {
            killed = leader(relays);
            if (killed != null) {
                relays.forEach(relay -> publishedAtKill.put(relay, relay.status().published()));
                progress.printf("%n>>> killing the leader relay %s (no lease release, producer not flushed)%n",
                    killed.instanceId());
                killed.kill();
                killedAt = System.nanoTime();
            }
        }
        if (killed != null && failoverMillis < 0) {
            ChangeStreamRelay successor = leader(relays);
            if (successor != null && successor != killed
                && successor.status().published() > publishedAtKill.get(successor)) {
                failoverMillis = (System.nanoTime() - killedAt) / 1_000_000;
                progress.printf("%n>>> %s took over; publishing resumed %d ms after the kill%n",
                    successor.instanceId(), failoverMillis);
            }
        }
    }

    /** From the kill to the successor's first publish after it; -1 until then. */
    public long failoverMillis() {
        return failoverMillis;
    }

    /** The relay that leads now, or null. */
    public static ChangeStreamRelay leader(List<ChangeStreamRelay> relays) {
        return relays.stream().filter(r -> r.status().role() == RelayStatus.Role.LEADER).findFirst().orElse(null);
    }
}
