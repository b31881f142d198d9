package dev.ferry.core.projection;

import java.util.List;

import dev.ferry.core.projection.InMemoryReadModels.Fault;
import dev.ferry.core.projection.contract.ReadModelWriterContract;

/** The in-memory read models keep the contract: the control for the broken one in ReadModelWriterContractCanFailTest. */
public class InMemoryReadModelWriterTest extends ReadModelWriterContract {

    private final InMemoryReadModels readModels = new InMemoryReadModels(fault());

    /** What the writers leave out; none here. */
    protected Fault fault() {
        return Fault.NONE;
    }

    @Override
    protected ReadModelWriter newWriter() {
        return readModels.writer();
    }

    @Override
    protected Stored stored(Projection projection, String aggregateId) {
        InMemoryReadModels.Document document = readModels.document(projection, aggregateId);
        return document == null ? null : new Stored(document.version(), document.deleted(), document.state(),
            document.lastEventId(), document.applied(),
            document.skipped().stream().map(skip -> new Skip(skip.eventId(), skip.reason())).toList());
    }

    @Override
    protected WriteLog watch(Projection projection) {
        int from = readModels.log(projection).size();
        return new WriteLog() {
            @Override
            public List<Write> untilNow() {
                List<InMemoryReadModels.Written> log = readModels.log(projection);
                return log.subList(from, log.size()).stream().map(write -> new Write(write.id(), write.version())).toList();
            }

            @Override
            public void close() {
            }
        };
    }
}
