package dev.ferry.core.lease;

import dev.ferry.core.lease.contract.LeaseStoreContract;

/** The unit tests' lease store keeps the contract the real ones keep, so tests built on it prove something. */
class InMemoryLeaseStoreTest extends LeaseStoreContract {

    @Override
    protected LeaseStore newStore() {
        return new InMemoryLeaseStore();
    }
}
