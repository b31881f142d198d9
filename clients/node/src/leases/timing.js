// The timing of partition and member leases (contracts/partition-leases.md, "Timing"), and the monotonic clock every
// decision is taken on.

/** Ferry's partition leases: TTL 2 s, renewed every 400 ms, looked at every 200 ms, trusted until 500 ms before. */
export const PARTITION_LEASES = Object.freeze({ ttlMs: 2000, renewIntervalMs: 400, checkIntervalMs: 200, marginMs: 500 });

/** Milliseconds of a monotonic clock: never a wall clock, which can jump. */
export const monotonicMillis = () => performance.now();

/** Refuses a timing a holder could not keep its lease under (as Java's LeaseTiming). */
export function checkTiming(timing) {
  const { ttlMs, renewIntervalMs, checkIntervalMs, marginMs } = timing ?? {};
  for (const [name, value] of Object.entries({ ttlMs, renewIntervalMs, checkIntervalMs, marginMs })) {
    if (!Number.isFinite(value) || value <= 0) {
      throw new RangeError(`lease timing ${name} must be a positive number of milliseconds, was ${value}`);
    }
  }
  if (marginMs >= ttlMs || renewIntervalMs >= ttlMs - marginMs) {
    throw new RangeError(`lease timing needs renewIntervalMs < ttlMs - marginMs and marginMs < ttlMs, was ttlMs=${ttlMs} `
      + `renewIntervalMs=${renewIntervalMs} marginMs=${marginMs}`);
  }
  return Object.freeze({ ttlMs, renewIntervalMs, checkIntervalMs, marginMs });
}
