package dev.ferry.postgres.replica;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;

import javax.sql.DataSource;

/**
 * A data source whose connections run an action just before each upsert of a replica writer is prepared: before the
 * write, where another writer's commit is the race to stage.
 */
final class BeforeUpsert {

    private BeforeUpsert() {
    }

    static DataSource of(DataSource dataSource, Runnable action) {
        return proxy(DataSource.class, dataSource, (method, args) -> {
            Object result = method.invoke(dataSource, args);
            return method.getName().equals("getConnection") ? connection((Connection) result, action) : result;
        });
    }

    private static Connection connection(Connection connection, Runnable action) {
        return proxy(Connection.class, connection, (method, args) -> {
            if (method.getName().equals("prepareStatement") && args != null && args[0] instanceof String sql
                && sql.contains("INSERT INTO")) {
                action.run();
            }
            return method.invoke(connection, args);
        });
    }

    private interface Call {
        Object invoke(Method method, Object[] args) throws Exception;
    }

    private static <T> T proxy(Class<T> type, T target, Call call) {
        return type.cast(Proxy.newProxyInstance(BeforeUpsert.class.getClassLoader(), new Class<?>[] {type},
            (proxy, method, args) -> {
                try {
                    return call.invoke(method, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            }));
    }
}
