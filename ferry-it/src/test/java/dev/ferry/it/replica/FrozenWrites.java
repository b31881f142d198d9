package dev.ferry.it.replica;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import org.bson.BsonDocument;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.ReplaceOneModel;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.replica.ReplicaWriter;
import dev.ferry.mongodb.entity.EntityKeys;

/**
 * A replica writer's process frozen in the middle of a write, as a long GC pause or a stopped process would be: once
 * {@link #freeze armed} with ids, the first writes that carry one of them stop after the writer planned them, just
 * before the write goes to the database (MongoDB: the bulk write, after the read of the stored versions; PostgreSQL:
 * the upsert, which reads nothing and locks no row before it). It stays stopped, interrupts and all
 * (an engine's kill interrupts its lanes: a frozen process does not notice), until {@link #release()}; then it goes on
 * exactly as planned — the late write of a zombie that another instance has overtaken meanwhile.
 */
final class FrozenWrites {

    private final Set<String> ids = ConcurrentHashMap.newKeySet();
    private final CountDownLatch released = new CountDownLatch(1);
    private final AtomicInteger frozen = new AtomicInteger();
    private final AtomicInteger finished = new AtomicInteger();
    private final List<String> outcomes = java.util.Collections.synchronizedList(new ArrayList<>());
    private final ThreadLocal<Boolean> frozenHere = ThreadLocal.withInitial(() -> false);

    private volatile int atMost;

    /**
     * Freezes, from now on, the first {@code writes} writes of any of these ids (entity keys); later ones go through.
     * (A frozen PostgreSQL write holds a pooled connection in its open transaction: freeze few.)
     */
    void freeze(Set<String> keys, int writes) {
        atMost = writes;
        ids.addAll(keys);
    }

    /** Writes stopped so far. */
    int frozen() {
        return frozen.get();
    }

    /** Frozen writes whose {@link ReplicaWriter#write} has returned or thrown since their release. */
    int finished() {
        return finished.get();
    }

    /** What each frozen write returned or threw, once finished. */
    List<String> outcomes() {
        return List.copyOf(outcomes);
    }

    void release() {
        released.countDown();
    }

    /** The writer, marking when a write frozen inside it has finished (its transaction committed or rolled back). */
    ReplicaWriter writer(ReplicaWriter writer) {
        return new ReplicaWriter() {
            @Override
            public List<Outcome> write(List<EntityChange> changes) {
                frozenHere.set(false);
                try {
                    List<Outcome> result = writer.write(changes);
                    if (frozenHere.get()) {
                        outcomes.add(changes.get(0).id() + " " + result);
                    }
                    return result;
                } catch (RuntimeException e) {
                    if (frozenHere.get()) {
                        outcomes.add(changes.get(0).id() + " " + e);
                    }
                    throw e;
                } finally {
                    if (frozenHere.get()) {
                        finished.incrementAndGet();
                    }
                }
            }

            @Override
            public Optional<StoredVersion> stored(String entity, String id) {
                return writer.stored(entity, id);
            }

            @Override
            public long purgeTombstones() {
                return writer.purgeTombstones();
            }
        };
    }

    /** The database, its collections' bulk writes frozen when one of their replaces is of a frozen id. */
    MongoDatabase mongo(MongoDatabase database) {
        return proxy(MongoDatabase.class, database, (method, args) -> {
            Object result = method.invoke(database, args);
            return result instanceof MongoCollection<?> collection ? collection(collection) : result;
        });
    }

    private MongoCollection<?> collection(MongoCollection<?> collection) {
        return proxy(MongoCollection.class, collection, (method, args) -> {
            if (method.getName().equals("bulkWrite") && args != null && args[0] instanceof List<?> models
                && models.stream().anyMatch(this::ofFrozenId)) {
                await();
            }
            Object result = method.invoke(collection, args);
            // with…() gives another collection: it freezes too
            return result instanceof MongoCollection<?> other ? collection(other) : result;
        });
    }

    private boolean ofFrozenId(Object model) {
        return model instanceof ReplaceOneModel<?> replace && replace.getReplacement() instanceof BsonDocument document
            && document.containsKey("_id") && ids.contains(EntityKeys.of(document.get("_id")));
    }

    /** The data source, its upserts (INSERT … ON CONFLICT) frozen when one of their rows is of a frozen id. */
    DataSource postgres(DataSource dataSource) {
        return proxy(DataSource.class, dataSource, (method, args) -> {
            Object result = method.invoke(dataSource, args);
            return result instanceof Connection connection ? connection(connection) : result;
        });
    }

    private Connection connection(Connection connection) {
        return proxy(Connection.class, connection, (method, args) -> {
            Object result = method.invoke(connection, args);
            if (method.getName().equals("prepareStatement") && args[0] instanceof String sql
                && sql.contains("INSERT INTO")) {
                return upsert((PreparedStatement) result);
            }
            return result;
        });
    }

    private PreparedStatement upsert(PreparedStatement statement) {
        Set<String> bound = ConcurrentHashMap.newKeySet();
        return proxy(PreparedStatement.class, statement, (method, args) -> {
            if (method.getName().equals("setString") && args[1] instanceof String value) {
                bound.add(value);
            } else if (method.getName().startsWith("execute") && bound.stream().anyMatch(ids::contains)) {
                await();
            }
            return method.invoke(statement, args);
        });
    }

    /** Stops this thread until released, whatever interrupts it meanwhile; then clears the interrupt and goes on. */
    private void await() {
        if (released.getCount() == 0 || frozen.getAndUpdate(n -> n < atMost ? n + 1 : n) >= atMost) {
            return;
        }
        frozenHere.set(true);
        while (true) {
            try {
                released.await();
                break;
            } catch (InterruptedException ignored) {
                // a frozen process does not see its kill: only the release wakes it
            }
        }
        Thread.interrupted(); // as a write already on its way would, it lands: the driver must not see the interrupt
    }

    private interface Call {
        Object invoke(Method method, Object[] args) throws Exception;
    }

    private static <T> T proxy(Class<T> type, T target, Call call) {
        return type.cast(Proxy.newProxyInstance(FrozenWrites.class.getClassLoader(), new Class<?>[] {type},
            (proxy, method, args) -> {
                try {
                    return call.invoke(method, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            }));
    }
}
