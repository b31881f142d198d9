package dev.ferry.engine;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import dev.ferry.core.target.ParkedEvents;

/** The parked-records store in memory: parks, lists and removes; operators' requests are not taken. */
final class ParkedInMemory implements ParkedEvents {
    final List<ParkedEvent> events = new CopyOnWriteArrayList<>();
    /** An aggregate whose parked events cannot be read (a store's hiccup), or null. */
    volatile String unreadable;

    @Override
    public void park(String projection, ParkedEvent parked) {
        events.add(parked);
    }

    @Override
    public Set<String> parkedAggregates(String projection) {
        return events.stream().map(ParkedEvent::aggregateKey).collect(Collectors.toSet());
    }

    @Override
    public List<ParkedEvent> parked(String projection, String aggregateKey) {
        if (aggregateKey.equals(unreadable)) {
            throw new IllegalStateException("the parked store cannot be read for " + aggregateKey);
        }
        return events.stream().filter(e -> e.aggregateKey().equals(aggregateKey)).toList();
    }

    @Override
    public void remove(String projection, ParkedEvent parked) {
        events.remove(parked);
    }

    @Override
    public void request(String projection, String aggregateKey, Request request) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Set<String> projections() {
        return Set.of();
    }

    @Override
    public List<PendingRequest> pendingRequests(String projection) {
        return List.of();
    }

    @Override
    public void complete(String projection, PendingRequest request, String result) {
    }
}
