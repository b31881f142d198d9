package dev.ferry.benchmark.pipeline;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * {@code ferry bench copy --kind entities}: its runs, as the JSON line documented in docs/measured.md and a summary
 * line. The copy's rate is given as the median of the runs and their spread, the stream's latency as the median run
 * and the worst ({@link StreamLatencies}).
 *
 * @param leaseTtlMillis  the copying relay's lease TTL
 * @param leaseTtlDefault whether that is the relay's default (no {@code --lease-ttl})
 */
public record EntityCopyResult(int documents, int writesPerSecond, long leaseTtlMillis, boolean leaseTtlDefault,
                               List<EntityCopyRate.Run> runs, long elapsedSeconds) {

    public Spread copyPerSecond() {
        return Spread.of(runs.stream().mapToDouble(EntityCopyRate.Run::perSecond).toArray());
    }

    public StreamLatencies stream() {
        return new StreamLatencies(writesPerSecond, runs.stream().map(EntityCopyRate.Run::latency).toList(),
            runs.stream().map(EntityCopyRate.Run::afterCopy).toList());
    }

    public long liveLeaderStepDowns() {
        return runs.stream().mapToLong(EntityCopyRate.Run::liveLeaderStepDowns).sum();
    }

    public String toJson() {
        String perRun = runs.stream().map(run -> String.format(Locale.ROOT, "{\"copyPerSecond\":%.0f,"
                + "\"copiedDocuments\":%d,%s,\"liveLeaderStepDowns\":%d}", run.perSecond(), run.copied(),
                StreamLatencies.runJsonFields(run.latency(), run.afterCopy()), run.liveLeaderStepDowns()))
            .collect(Collectors.joining(",", "[", "]"));
        return String.format(Locale.ROOT, "{\"scenario\":\"copy\",\"kind\":\"entities\",\"documents\":%d,\"runs\":%d,"
                + "\"copyPerSecond\":%.0f,\"copyPerSecondMin\":%.0f,\"copyPerSecondMax\":%.0f,%s,\"leaseTtlMillis\":%d,"
                + "\"leaseTtlDefault\":%s,\"liveLeaderStepDowns\":%d,\"liveLeaderStepDownsPerRun\":%s,\"perRun\":%s,"
                + "\"elapsedSeconds\":%d}", documents, runs.size(), copyPerSecond().median(), copyPerSecond().min(),
            copyPerSecond().max(), stream().jsonFields(), leaseTtlMillis, leaseTtlDefault, liveLeaderStepDowns(),
            runs.stream().map(run -> Long.toString(run.liveLeaderStepDowns())).collect(Collectors.joining(",", "[", "]")),
            perRun, elapsedSeconds);
    }

    /** The human summary: rate, latency and step-downs, median and worst run. */
    public void printSummary(PrintWriter out) {
        out.printf(Locale.ROOT, "entity copy (by watermarks, alongside the stream), %,d documents, %d runs: %,.0f "
                + "documents/s median (%,.0f–%,.0f); %s; the copying relay stepped down %d times while alive%n",
            documents, runs.size(), copyPerSecond().median(), copyPerSecond().min(), copyPerSecond().max(),
            stream().describe(), liveLeaderStepDowns());
    }
}
