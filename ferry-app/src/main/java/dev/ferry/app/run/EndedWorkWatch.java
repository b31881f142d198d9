package dev.ferry.app.run;

import java.time.Duration;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends the process once its work ended for good (a projector's polling thread that could not go on): exit status 1,
 * which closes everything in order through the shutdown hook, so that the supervisor (Kubernetes) starts it again —
 * rather than a process that lives on, answering as healthy, with nothing to do.
 */
final class EndedWorkWatch {

    private static final Logger log = LoggerFactory.getLogger(EndedWorkWatch.class);

    private EndedWorkWatch() {
    }

    /**
     * @param ended why the work ended, or null while it goes on
     * @param who   how the process's lines begin, e.g. {@code ferry project latest_state}
     * @param exit  {@code System::exit} in a process of its own
     * @param every how often to look
     * @return the watching thread (a daemon)
     */
    static Thread start(Supplier<String> ended, String who, IntConsumer exit, Duration every) {
        Thread watch = new Thread(() -> {
            try {
                while (true) {
                    String why = ended.get();
                    if (why != null) {
                        log.error("{}: its work ended ({}); exiting with status 1 so that it is started again", who,
                            why);
                        exit.accept(1);
                        return;
                    }
                    Thread.sleep(every.toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "ferry-work-watch");
        watch.setDaemon(true);
        watch.start();
        return watch;
    }
}
