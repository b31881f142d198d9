package dev.ferry.core.lease;

import java.util.List;
import java.util.Optional;

/**
 * Leadership by a lease document: compare-and-set acquire and renew, an epoch that grows on every change of
 * owner. Expiry is never judged from timestamps written by other hosts: a standby watches the lease's renewal
 * counter on its own monotonic clock ({@link LeaseObserver}).
 */
public interface LeaseStore {

    /** The lease as stored now, if it exists. */
    Optional<Lease> read(String name);

    /** Every lease whose name starts with {@code namePrefix}, as stored now (e.g. the members of a group). */
    List<Lease> readAll(String namePrefix);

    /**
     * Takes the lease if it is still exactly as {@code seen} (or absent when {@code seen} is empty): the
     * epoch grows by one, the renewal counter starts over.
     *
     * @return the new lease, or empty if someone else changed it first
     */
    Optional<Lease> tryAcquire(String name, String owner, Optional<Lease> seen);

    /**
     * Renews a held lease (bumps its renewal counter).
     *
     * @return false if the lease is no longer {@code owner}'s at {@code epoch}
     */
    boolean renew(String name, String owner, long epoch);

    /** Gives a held lease up so a standby can take it at once (graceful shutdown). */
    void release(String name, String owner, long epoch);

    /**
     * Deletes the lease if it is still exactly as {@code seen} (same owner, epoch and renewal count): for leases of
     * instances long gone, e.g. the group members of killed projectors. A holder that renewed since keeps it.
     */
    void remove(Lease seen);
}
