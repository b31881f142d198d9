package dev.ferry.benchmark.pipeline;

/** One scenario's figures over all its runs, as {@code ferry bench pipeline --json} prints them. */
public sealed interface BenchmarkResult permits CatchUpResult, LatencyResult, FailoverResult, IdleResult {

    String scenario();

    String toJson();
}
