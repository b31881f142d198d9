package dev.ferry.mongodb.readmodel;

import dev.ferry.core.projection.ReadModelWriter;

/**
 * The {@link dev.ferry.core.projection.contract.ReadModelWriterContract} once more, for writers without the apply log
 * ({@code projector.applyLog: false}, what deployments run by default): every scenario but the assertions on the log.
 */
class MongoReadModelWriterWithoutApplyLogIT extends MongoReadModelWriterIT {

    @Override
    protected ReadModelWriter newWriter() {
        return new MongoReadModelWriter(database, false);
    }

    @Override
    protected boolean keepsApplyLog() {
        return false;
    }
}
