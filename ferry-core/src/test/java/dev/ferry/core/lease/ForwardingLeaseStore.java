package dev.ferry.core.lease;

import java.util.List;
import java.util.Optional;

/** Passes every call to another store: a test overrides the one call it changes (breaks it, holds it, counts it). */
public class ForwardingLeaseStore implements LeaseStore {

    protected final LeaseStore store;

    public ForwardingLeaseStore(LeaseStore store) {
        this.store = store;
    }

    @Override
    public Optional<Lease> read(String name) {
        return store.read(name);
    }

    @Override
    public List<Lease> readAll(String namePrefix) {
        return store.readAll(namePrefix);
    }

    @Override
    public Optional<Lease> tryAcquire(String name, String owner, Optional<Lease> seen) {
        return store.tryAcquire(name, owner, seen);
    }

    @Override
    public boolean renew(String name, String owner, long epoch) {
        return store.renew(name, owner, epoch);
    }

    @Override
    public void release(String name, String owner, long epoch) {
        store.release(name, owner, epoch);
    }

    @Override
    public void remove(Lease seen) {
        store.remove(seen);
    }
}
