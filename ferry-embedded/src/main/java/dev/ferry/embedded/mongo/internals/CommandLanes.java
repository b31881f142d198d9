package dev.ferry.embedded.mongo.internals;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

import de.bwaldvogel.mongo.backend.Utils;

/**
 * The two threads that run the embedded server's commands (see {@link CommandRoute}): the main lane and the small
 * lane. A command that runs {@linkplain CommandRoute#exclusive() alone} holds the write side of a lock whose read side
 * every small-lane command holds, so it never runs beside one; main-lane commands need no lock, as only the main
 * lane runs them.
 */
final class CommandLanes implements AutoCloseable {

    private final Set<String> smallCollections;
    private final ExecutorService main;
    private final ExecutorService small;
    private final ReentrantReadWriteLock alone = new ReentrantReadWriteLock();
    private volatile Thread smallThread;

    /** @param smallCollections names of the collections whose commands take the small lane (in any database) */
    CommandLanes(Set<String> smallCollections) {
        this.smallCollections = Set.copyOf(smallCollections);
        this.main = Executors.newSingleThreadExecutor(daemon("embedded-mongo-commands"));
        this.small = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = daemon("embedded-mongo-small-commands").newThread(runnable);
            smallThread = thread;
            return thread;
        });
    }

    Set<String> smallCollections() {
        return smallCollections;
    }

    /** Runs {@code work} on the lane of {@code route}, under the lock that route needs. */
    void execute(CommandRoute route, Runnable work) {
        (route.small() ? small : main).execute(() -> {
            var lock = route.small() ? alone.readLock() : route.exclusive() ? alone.writeLock() : null;
            if (lock != null) {
                lock.lock();
            }
            try {
                work.run();
            } finally {
                if (lock != null) {
                    lock.unlock();
                }
            }
        });
    }

    /** Runs {@code work} on the main lane, with no lock. */
    void onMain(Runnable work) {
        main.execute(work);
    }

    /**
     * Reads a document of {@code namespace} from any lane: a small-lane collection is read on the small lane (the
     * caller waits), as only that lane may touch it while it runs; any other is read on the calling thread.
     */
    <T> T read(String namespace, Supplier<T> reading) {
        String collection = Utils.getCollectionNameFromFullName(namespace);
        if (!smallCollections.contains(collection) || Thread.currentThread() == smallThread
            || alone.isWriteLockedByCurrentThread()) {
            return reading.get();
        }
        try {
            return CompletableFuture.supplyAsync(() -> {
                alone.readLock().lock();
                try {
                    return reading.get();
                } finally {
                    alone.readLock().unlock();
                }
            }, small).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading " + namespace, e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime : new IllegalStateException(e.getCause());
        }
    }

    @Override
    public void close() {
        main.shutdownNow();
        small.shutdownNow();
        try {
            main.awaitTermination(5, TimeUnit.SECONDS);
            small.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
