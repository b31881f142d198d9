package dev.ferry.mongodb.replica;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;

/**
 * A database whose collections run an action just before each bulk write of a replica writer: between the writer's
 * read of the stored versions and its write, where another writer's write is the race to stage.
 */
final class BeforeBulkWrite {

    private BeforeBulkWrite() {
    }

    static MongoDatabase of(MongoDatabase database, Runnable action) {
        return proxy(MongoDatabase.class, database, (method, args) -> {
            Object result = method.invoke(database, args);
            return method.getName().equals("getCollection") ? collection((MongoCollection<?>) result, action) : result;
        });
    }

    private static MongoCollection<?> collection(MongoCollection<?> collection, Runnable action) {
        return proxy(MongoCollection.class, collection, (method, args) -> {
            if (method.getName().equals("bulkWrite")) {
                action.run();
            }
            return method.invoke(collection, args);
        });
    }

    private interface Call {
        Object invoke(Method method, Object[] args) throws Exception;
    }

    private static <T> T proxy(Class<T> type, T target, Call call) {
        return type.cast(Proxy.newProxyInstance(BeforeBulkWrite.class.getClassLoader(), new Class<?>[] {type},
            (proxy, method, args) -> {
                try {
                    return call.invoke(method, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            }));
    }
}
