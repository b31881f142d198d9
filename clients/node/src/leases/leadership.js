// Keeps or contends for one lease: renews while holding it, takes it over when it sees it expire — the protocol's
// holder and standby (contracts/partition-leases.md, "Timing"), as Ferry's Java Leadership. The holder trusts its lease
// only until ttl - margin after it sent its last successful take or renewal, by its own monotonic clock; work done
// under the lease checks isValid(epoch) right before it acts.
import { LeaseObserver } from './lease-observer.js';
import { monotonicMillis } from './timing.js';

export class Leadership {
  #store;
  #name;
  #instanceId;
  #timing;
  #now;
  #observer;
  #onError;
  #epoch = -1;
  #validUntil = 0;
  #nextRenew = 0;
  #stopped = false;
  #timer = null;
  #inFlight = Promise.resolve();

  /**
   * @param {object} options
   * @param {import('./lease-store.js').MongoLeaseStore} options.store
   * @param {string} options.name the lease's name
   * @param {string} options.instanceId
   * @param {{ ttlMs: number, renewIntervalMs: number, checkIntervalMs: number, marginMs: number }} options.timing
   * @param {() => number} [options.now] ms of a monotonic clock
   * @param {(error: unknown) => void} [options.onError] a tick that could not reach MongoDB (it is tried again)
   */
  constructor({ store, name, instanceId, timing, now = monotonicMillis, onError = () => {} }) {
    this.#store = store;
    this.#name = name;
    this.#instanceId = instanceId;
    this.#timing = timing;
    this.#now = now;
    this.#observer = new LeaseObserver(timing.ttlMs);
    this.#onError = onError;
  }

  get name() {
    return this.#name;
  }

  /** Ticks every min(checkInterval, renewInterval), one tick at a time. */
  start() {
    const period = Math.min(this.#timing.checkIntervalMs, this.#timing.renewIntervalMs);
    const loop = () => {
      if (this.#stopped) {
        return;
      }
      this.#inFlight = this.tick().catch((error) => this.#onError(error)).finally(() => {
        if (!this.#stopped) {
          this.#timer = setTimeout(loop, period);
        }
      });
    };
    loop();
  }

  /** The epoch this instance holds the lease at, if valid now; else null. */
  currentEpoch() {
    return this.#epoch >= 0 && this.isValid(this.#epoch) ? this.#epoch : null;
  }

  /** True while this instance holds the lease at `epoch` and its validity has not run out. */
  isValid(epoch) {
    return !this.#stopped && this.#epoch === epoch && this.#now() < this.#validUntil;
  }

  /** One step of the protocol: step down or renew when holding, else look and take if it may. */
  async tick() {
    if (this.#stopped) {
      return;
    }
    const now = this.#now();
    if (this.#epoch >= 0) {
      if (now >= this.#validUntil) {
        this.#epoch = -1; // not renewed in time: stop acting; the lease is released at its epoch by its user
      } else if (now >= this.#nextRenew) {
        await this.#renew(now);
      }
      return;
    }
    const lease = await this.#store.read(this.#name);
    this.#observer.observe(lease, now);
    if (this.#observer.mayTake(now)) {
      const sentAt = this.#now();
      const taken = await this.#store.tryAcquire(this.#name, this.#instanceId, this.#observer.seen);
      if (taken !== null) {
        this.#validUntil = sentAt + this.#timing.ttlMs - this.#timing.marginMs;
        this.#nextRenew = sentAt + this.#timing.renewIntervalMs;
        this.#epoch = taken.epoch;
      }
    }
  }

  async #renew(now) {
    const held = this.#epoch;
    if (await this.#store.renew(this.#name, this.#instanceId, held)) {
      this.#validUntil = now + this.#timing.ttlMs - this.#timing.marginMs;
      this.#nextRenew = now + this.#timing.renewIntervalMs;
    } else {
      this.#epoch = -1; // another instance took it
    }
  }

  /** Stops, waits for a tick in flight, and gives the lease up if held, so that a standby need not wait the TTL. */
  async close() {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#inFlight;
    const held = this.#epoch;
    this.#epoch = -1;
    if (held >= 0) {
      await this.#store.release(this.#name, this.#instanceId, held);
    }
  }

  /** Stops without releasing: what a crash leaves; a standby takes over after the TTL. */
  kill() {
    this.#stopped = true;
    this.#epoch = -1;
    clearTimeout(this.#timer);
  }
}
