package dev.ferry.core.relay;

import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.core.relay.spi.SourceCopy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sources' existing documents, copied {@code batch} at a time; a copy's position is the number of documents copied.
 * Every copied change carries the stamp it was asked for.
 */
final class InMemorySourceCopy implements SourceCopy {

    private final Map<String, List<String>> documents = new LinkedHashMap<>();
    private final int batch;
    /** Sources whose copy cannot be prepared. */
    final Set<String> notReady = ConcurrentHashMap.newKeySet();

    InMemorySourceCopy(int batch) {
        this.batch = batch;
    }

    /** Adds {@code source} holding one document per key. */
    InMemorySourceCopy with(String source, String... keys) {
        documents.put(source, List.of(keys));
        return this;
    }

    @Override
    public List<String> sources() {
        return List.copyOf(documents.keySet());
    }

    @Override
    public void prepare(List<String> sources) {
        for (String source : sources) {
            if (notReady.contains(source)) {
                throw new NotReady("the index of " + source + " is missing");
            }
        }
    }

    @Override
    public CopyBatch next(String source, String position, ResumeToken stamp, ResumeToken notedAt, int maxChanges) {
        List<String> keys = documents.get(source);
        int from = position.isEmpty() ? 0 : Integer.parseInt(position);
        int to = Math.min(keys.size(), from + Math.min(batch, maxChanges));
        List<Change> changes = new ArrayList<>();
        for (String key : keys.subList(from, to)) {
            changes.add(new Change.Commit(stamp, List.of(TestTerm.event(key))));
        }
        return new CopyBatch(changes, Integer.toString(to), to == keys.size());
    }
}
