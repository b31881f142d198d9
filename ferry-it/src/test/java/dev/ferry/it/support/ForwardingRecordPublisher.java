package dev.ferry.it.support;

import java.util.concurrent.CompletableFuture;

import dev.ferry.core.event.FerryRecord;
import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.CheckpointStore;
import dev.ferry.core.relay.spi.RecordPublisher;

/** A publisher that forwards everything to another: tests override the calls they hold, count or freeze. */
public class ForwardingRecordPublisher implements RecordPublisher {

    protected final RecordPublisher delegate;

    public ForwardingRecordPublisher(RecordPublisher delegate) {
        this.delegate = delegate;
    }

    @Override
    public Prepared prepare(FerryRecord record) {
        return delegate.prepare(record);
    }

    @Override
    public CompletableFuture<Void> publish(Prepared record, Provenance provenance) {
        return delegate.publish(record, provenance);
    }

    @Override
    public CompletableFuture<Void> publishDeadLetter(Change.Refused refused, Provenance provenance) {
        return delegate.publishDeadLetter(refused, provenance);
    }

    @Override
    public CheckpointStore checkpoints(String relay, CheckpointStore store) {
        return delegate.checkpoints(relay, store);
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public void abort() {
        delegate.abort();
    }
}
