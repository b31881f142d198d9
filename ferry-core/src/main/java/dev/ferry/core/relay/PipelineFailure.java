package dev.ferry.core.relay;

import dev.ferry.core.relay.spi.CheckpointStore;
import dev.ferry.core.relay.spi.HistoryLost;
import java.util.function.Supplier;

/** A failure of the pipeline's environment (or a bug), by what failed: the pipeline restarts after a backoff. */
final class PipelineFailure extends RuntimeException {

    private final RelayStatus.Fault fault;

    PipelineFailure(RelayStatus.Fault fault, Throwable cause) {
        super(fault + ": " + cause, cause);
        this.fault = fault;
    }

    RelayStatus.Fault fault() {
        return fault;
    }

    /** Runs {@code call}, attributing a failure to {@code fault}; the relay's own signals pass through. */
    static <T> T at(RelayStatus.Fault fault, Supplier<T> call) {
        try {
            return call.get();
        } catch (HistoryLost | CheckpointStore.Fenced | PipelineFailure | TermEnded e) {
            throw e;
        } catch (RuntimeException e) {
            throw new PipelineFailure(fault, e);
        }
    }

    static void at(RelayStatus.Fault fault, Runnable call) {
        at(fault, () -> {
            call.run();
            return null;
        });
    }
}
