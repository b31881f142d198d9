package dev.ferry.mongodb.relay;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;

import java.util.Date;
import java.util.Optional;

import org.bson.Document;

import com.mongodb.ReadConcern;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.Updates;

import dev.ferry.core.relay.CheckpointStore;
import dev.ferry.core.relay.ResumeToken;

/**
 * Checkpoints live in the relay's lease document, so that "write only while still the leader of this epoch" is
 * one atomic conditional update: a deposed leader's write matches nothing.
 */
public final class MongoCheckpointStore implements CheckpointStore {

    private static final String CHECKPOINT = "checkpoint";

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
        return Optional.of(new Checkpoint(new ResumeToken(checkpoint.getString("token")),
            ((Number) checkpoint.get("sequence")).longValue(), checkpoint.getDate("savedAt").toInstant()));
    }

    @Override
    public void save(String relayName, long epoch, ResumeToken token, long sequence) {
        long matched = leases.updateOne(and(eq("_id", relayName), eq("epoch", epoch)),
            Updates.set(CHECKPOINT, new Document("token", token.value()).append("sequence", sequence)
                .append("epoch", epoch).append("savedAt", new Date()))).getMatchedCount();
        if (matched == 0) {
            throw new Fenced(relayName, epoch);
        }
    }
}
