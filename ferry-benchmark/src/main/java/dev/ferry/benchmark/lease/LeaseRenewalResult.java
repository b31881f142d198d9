package dev.ferry.benchmark.lease;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

import dev.ferry.benchmark.pipeline.Spread;
import dev.ferry.core.lease.LeaseTiming;

/**
 * Lease renewals beside one bulk operation.
 *
 * @param operation           copy or purge
 * @param documents           the commits to copy or the tombstones to purge
 * @param completed           whether the operation finished within the benchmark's timeout (the purge: removed them all)
 * @param done                commits copied (the last checkpoint's count) or tombstones purged
 * @param operationSeconds    the operation's duration: the window the renewals were noted in
 * @param renewalMillis       each renewal's latency during the operation, sent to answered
 * @param idleRenewalMillis   the same with nothing else running, just before the operation
 * @param failedRenewals      renewals that failed during the operation (an error, or the lease found not the probe's)
 * @param relayLeaseTtl       the copying relay's lease TTL; empty: the relay's default ({@link LeaseTiming#DEFAULT})
 * @param relayStepDowns      step-downs the copying relay logged while alive, from its start to the copy's end; null
 *                            for the purge (no relay runs)
 */
record LeaseRenewalResult(String operation, int documents, boolean completed, long done, double operationSeconds,
                          double[] renewalMillis, double[] idleRenewalMillis, long failedRenewals,
                          Optional<Duration> relayLeaseTtl, Long relayStepDowns) {

    /** The issue-30 bound on a renewal's p99 beside bulk work. */
    static final double BOUND_MILLIS = 50;
    /** The relay's default lease TTL: a renewal slower than this makes a leader step down. */
    static final double DEFAULT_TTL_MILLIS = LeaseTiming.DEFAULT.ttl().toMillis();

    long over(double millis) {
        return java.util.Arrays.stream(renewalMillis).filter(value -> value > millis).count();
    }

    String describe() {
        return String.format(Locale.ROOT, "%s of %,d documents%s in %.1f s: %d lease renewals, p50 %.1f / p99 %.1f / max "
                + "%.1f ms (%d over %.0f ms, %d over the default 1 s TTL, %d failed); idle before: p50 %.1f / p99 %.1f ms%s",
            operation, documents, completed ? "" : " (unfinished: " + done + " done)", operationSeconds,
            renewalMillis.length, Spread.percentile(renewalMillis, 50), Spread.percentile(renewalMillis, 99),
            Spread.percentile(renewalMillis, 100), over(BOUND_MILLIS), BOUND_MILLIS, over(DEFAULT_TTL_MILLIS),
            failedRenewals, Spread.percentile(idleRenewalMillis, 50), Spread.percentile(idleRenewalMillis, 99),
            relayStepDowns == null ? "" : String.format(Locale.ROOT, "; the copying relay (leaseTtl %s) stepped down %d "
                + "times while alive", relayLeaseTtl.map(ttl -> ttl.toMillis() + " ms").orElse("default"),
                relayStepDowns));
    }

    String toJson() {
        return String.format(Locale.ROOT, "{\"scenario\":\"%s\",\"documents\":%d,\"completed\":%s,\"done\":%d,"
                + "\"operationSeconds\":%.2f,\"renewals\":%d,\"renewalMillis\":%s,\"renewalsOver50Millis\":%d,"
                + "\"renewalsOverDefaultTtl\":%d,\"failedRenewals\":%d,\"idleRenewals\":%d,\"idleRenewalMillis\":%s,"
                + "\"relayLeaseTtlMillis\":%s,\"relayLiveLeaderStepDowns\":%s}",
            operation, documents, completed, done, operationSeconds, renewalMillis.length, percentiles(renewalMillis),
            over(BOUND_MILLIS), over(DEFAULT_TTL_MILLIS), failedRenewals, idleRenewalMillis.length,
            percentiles(idleRenewalMillis),
            relayStepDowns == null ? "null" : Long.toString(relayLeaseTtl.orElse(LeaseTiming.DEFAULT.ttl()).toMillis()),
            relayStepDowns == null ? "null" : relayStepDowns.toString());
    }

    private static String percentiles(double[] millis) {
        return String.format(Locale.ROOT, "{\"p50\":%s,\"p99\":%s,\"max\":%s}", number(Spread.percentile(millis, 50)),
            number(Spread.percentile(millis, 99)), number(Spread.percentile(millis, 100)));
    }

    /** Two decimals, or null where nothing was measured (no renewal in the window). */
    private static String number(double value) {
        return Double.isNaN(value) ? "null" : String.format(Locale.ROOT, "%.2f", value);
    }
}
