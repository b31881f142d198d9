package dev.ferry.mongodb.lease;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;

import java.util.Date;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import org.bson.Document;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoWriteException;
import com.mongodb.ReadConcern;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Updates;

import dev.ferry.core.lease.Lease;
import dev.ferry.core.lease.LeaseStore;

/**
 * Leases as documents {@code {_id: name, owner, epoch, renewals, renewedAt}}, changed only by compare-and-set
 * writes with {@code w:majority}. {@code renewedAt} is for people to read; no decision uses it.
 */
public final class MongoLeaseStore implements LeaseStore {

    /** Where Ferry keeps its leases (the relay's lease document also holds its checkpoint). */
    public static final String COLLECTION = "ferry_leases";

    static final String OWNER = "owner";
    static final String EPOCH = "epoch";
    static final String RENEWALS = "renewals";
    private static final int DUPLICATE_KEY = 11000;

    private final MongoCollection<Document> leases;

    public MongoLeaseStore(MongoDatabase database, String collection) {
        this.leases = database.getCollection(collection)
            .withWriteConcern(WriteConcern.MAJORITY)
            .withReadConcern(ReadConcern.MAJORITY);
    }

    @Override
    public Optional<Lease> read(String name) {
        return Optional.ofNullable(leases.find(eq("_id", name)).first()).map(MongoLeaseStore::toLease);
    }

    @Override
    public List<Lease> readAll(String namePrefix) {
        List<Lease> all = new ArrayList<>();
        leases.find(Filters.regex("_id", "^" + Pattern.quote(namePrefix))).forEach(d -> all.add(toLease(d)));
        return all;
    }

    @Override
    public Optional<Lease> tryAcquire(String name, String owner, Optional<Lease> seen) {
        try {
            if (seen.isEmpty()) {
                leases.insertOne(new Document("_id", name).append(OWNER, owner).append(EPOCH, 1L)
                    .append(RENEWALS, 0L).append("renewedAt", new Date()));
                return Optional.of(new Lease(name, owner, 1L, 0L));
            }
            Lease was = seen.get();
            Document taken = leases.findOneAndUpdate(
                and(eq("_id", name), eq(OWNER, was.owner()), eq(EPOCH, was.epoch()), eq(RENEWALS, was.renewals())),
                Updates.combine(Updates.set(OWNER, owner), Updates.inc(EPOCH, 1L), Updates.set(RENEWALS, 0L),
                    Updates.set("renewedAt", new Date())),
                new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER));
            return Optional.ofNullable(taken).map(MongoLeaseStore::toLease);
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() == ErrorCategory.DUPLICATE_KEY) {
                return Optional.empty(); // another instance created it first
            }
            throw e;
        } catch (MongoCommandException e) {
            if (e.getErrorCode() == DUPLICATE_KEY) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public boolean renew(String name, String owner, long epoch) {
        return leases.updateOne(and(eq("_id", name), eq(OWNER, owner), eq(EPOCH, epoch)),
            Updates.combine(Updates.inc(RENEWALS, 1L), Updates.set("renewedAt", new Date()))).getMatchedCount() == 1;
    }

    @Override
    public void release(String name, String owner, long epoch) {
        leases.updateOne(and(eq("_id", name), eq(OWNER, owner), eq(EPOCH, epoch)),
            Updates.combine(Updates.set(OWNER, null), Updates.inc(RENEWALS, 1L)));
    }

    @Override
    public void remove(Lease seen) {
        leases.deleteOne(and(eq("_id", seen.name()), eq(OWNER, seen.owner()), eq(EPOCH, seen.epoch()),
            eq(RENEWALS, seen.renewals())));
    }

    private static Lease toLease(Document document) {
        return new Lease(document.getString("_id"), document.getString(OWNER),
            ((Number) document.get(EPOCH)).longValue(), ((Number) document.get(RENEWALS)).longValue());
    }
}
