package dev.ferry.core.relay;

import dev.ferry.core.relay.spi.CheckpointStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** A checkpoint store keeping every save, for unit tests; operators' copy requests as a set. */
final class InMemoryCheckpointStore implements CheckpointStore {

    private final List<Checkpoint> saves = new CopyOnWriteArrayList<>();
    final Set<String> requests = ConcurrentHashMap.newKeySet();
    final List<String> cleared = new CopyOnWriteArrayList<>();

    @Override
    public Optional<Checkpoint> load(String relayName) {
        return saves.isEmpty() ? Optional.empty() : Optional.of(saves.get(saves.size() - 1));
    }

    @Override
    public void save(String relayName, Checkpoint checkpoint) {
        saves.add(checkpoint);
    }

    /** The last checkpoint saved; fails if there is none. */
    Checkpoint last() {
        return load(TestTerm.RELAY).orElseThrow(() -> new AssertionError("no checkpoint saved"));
    }

    List<Checkpoint> saves() {
        return new ArrayList<>(saves);
    }

    @Override
    public Set<String> copyRequests(String relayName) {
        return Set.copyOf(requests);
    }

    @Override
    public void requestCopy(String relayName, String source) {
        requests.add(source);
    }

    @Override
    public void clearCopyRequest(String relayName, String source) {
        requests.remove(source);
        cleared.add(source);
    }
}
