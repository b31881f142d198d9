package dev.ferry.core.lease;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** A lease store with the same compare-and-set semantics as the MongoDB one, for unit tests. */
public final class InMemoryLeaseStore implements LeaseStore {

    private final Map<String, Lease> leases = new HashMap<>();
    boolean unreachable;

    @Override
    public synchronized Optional<Lease> read(String name) {
        check();
        return Optional.ofNullable(leases.get(name));
    }

    @Override
    public synchronized java.util.List<Lease> readAll(String namePrefix) {
        check();
        return leases.values().stream().filter(lease -> lease.name().startsWith(namePrefix)).toList();
    }

    @Override
    public synchronized Optional<Lease> tryAcquire(String name, String owner, Optional<Lease> seen) {
        check();
        Optional<Lease> current = Optional.ofNullable(leases.get(name));
        if (!current.equals(seen)) {
            return Optional.empty();
        }
        Lease taken = new Lease(name, owner, current.map(Lease::epoch).orElse(0L) + 1, 0);
        leases.put(name, taken);
        return Optional.of(taken);
    }

    @Override
    public synchronized boolean renew(String name, String owner, long epoch) {
        check();
        Lease lease = leases.get(name);
        if (lease == null || !lease.isHeldBy(owner) || lease.epoch() != epoch) {
            return false;
        }
        leases.put(name, new Lease(name, owner, epoch, lease.renewals() + 1));
        return true;
    }

    @Override
    public synchronized void release(String name, String owner, long epoch) {
        Lease lease = leases.get(name);
        if (lease != null && lease.isHeldBy(owner) && lease.epoch() == epoch) {
            leases.put(name, new Lease(name, null, epoch, lease.renewals() + 1));
        }
    }

    /** Another party wrote the lease (or deleted it, when empty), outside the compare-and-set rules: a test's setup. */
    public synchronized void overwrite(String name, Optional<Lease> lease) {
        lease.ifPresentOrElse(written -> leases.put(name, written), () -> leases.remove(name));
    }

    @Override
    public synchronized void remove(Lease seen) {
        leases.remove(seen.name(), seen);
    }

    private void check() {
        if (unreachable) {
            throw new IllegalStateException("lease store unreachable");
        }
    }
}
