package dev.ferry.mongodb.relay;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;

import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.bson.Document;

import com.mongodb.ReadConcern;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.Updates;

import dev.ferry.core.relay.spi.CheckpointStore;
import dev.ferry.core.relay.spi.CheckpointStore.CopyProgress;
import dev.ferry.core.relay.spi.ResumeToken;

/**
 * Checkpoints live in the relay's lease document, so that "write only while still the leader of this epoch" is
 * one atomic conditional update: a deposed leader's write matches nothing. A checkpoint written before copy
 * progress existed loads with none.
 */
public final class MongoCheckpointStore implements CheckpointStore {

    private static final String CHECKPOINT = "checkpoint";
    private static final String COPIES = "copies";
    private static final String NOTED_AT = "notedAt";
    /** Sources operators asked to copy again, in the lease document beside the checkpoint. */
    private static final String COPY_REQUESTS = "copyRequests";

    private final MongoCollection<Document> leases;

    /** @param leaseCollection the collection of {@link dev.ferry.mongodb.lease.MongoLeaseStore} */
    public MongoCheckpointStore(MongoDatabase database, String leaseCollection) {
        this.leases = database.getCollection(leaseCollection)
            .withWriteConcern(WriteConcern.MAJORITY)
            .withReadConcern(ReadConcern.MAJORITY);
    }

    @Override
    public Optional<Checkpoint> load(String relayName) {
        Document lease = leases.find(eq("_id", relayName)).projection(Projections.include(CHECKPOINT)).first();
        if (lease == null || !(lease.get(CHECKPOINT) instanceof Document checkpoint)) {
            return Optional.empty();
        }
        Map<String, CopyProgress> copies = new LinkedHashMap<>();
        for (Document copy : checkpoint.getList(COPIES, Document.class, List.of())) {
            String notedAt = copy.getString(NOTED_AT);
            copies.put(copy.getString("source"), new CopyProgress(copy.getString("position"),
                ((Number) copy.get("copied")).longValue(), copy.getBoolean("complete", false),
                notedAt == null ? null : new ResumeToken(notedAt)));
        }
        return Optional.of(new Checkpoint(new ResumeToken(checkpoint.getString("token")), copies,
            ((Number) checkpoint.get("sequence")).longValue(), ((Number) checkpoint.get("epoch")).longValue(),
            checkpoint.getDate("savedAt").toInstant()));
    }

    @Override
    public Set<String> copyRequests(String relayName) {
        Document lease = leases.find(eq("_id", relayName)).projection(Projections.include(COPY_REQUESTS)).first();
        return lease == null ? Set.of() : Set.copyOf(lease.getList(COPY_REQUESTS, String.class, List.of()));
    }

    @Override
    public void requestCopy(String relayName, String source) {
        if (leases.updateOne(eq("_id", relayName), Updates.addToSet(COPY_REQUESTS, source)).getMatchedCount() == 0) {
            throw new IllegalStateException("relay " + relayName + " has never run: start it first (a first start "
                + "copies the sources configured with initialLoad: copy)");
        }
    }

    @Override
    public void clearCopyRequest(String relayName, String source) {
        leases.updateOne(eq("_id", relayName), Updates.pull(COPY_REQUESTS, source));
    }

    @Override
    public void save(String relayName, Checkpoint checkpoint) {
        // An array, not a document keyed by source: a source's name may hold characters a field name may not.
        List<Document> copies = new ArrayList<>();
        checkpoint.copies().forEach((source, copy) -> copies.add(new Document("source", source)
            .append("position", copy.position()).append("copied", copy.copied()).append("complete", copy.complete())
            .append(NOTED_AT, copy.notedAt() == null ? null : copy.notedAt().value())));
        long matched = leases.updateOne(and(eq("_id", relayName), eq("epoch", checkpoint.epoch())),
            Updates.set(CHECKPOINT, new Document("token", checkpoint.token().value()).append(COPIES, copies)
                .append("sequence", checkpoint.sequence()).append("epoch", checkpoint.epoch())
                .append("savedAt", Date.from(checkpoint.savedAt())))).getMatchedCount();
        if (matched == 0) {
            throw new Fenced(relayName, checkpoint.epoch());
        }
    }
}
