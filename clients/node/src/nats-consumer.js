// Consuming Ferry's NATS JetStream stream in order with N instances. JetStream 2.9 has no consumer groups, so the
// instances of a group share the partitions (subjects `<stream>.<type>.<n>`) through leases in Ferry's MongoDB —
// the protocol of contracts/partition-leases.md, the one Ferry's Java projectors follow, so Java and Node instances
// can even share a group. Each owned partition is read by a consumer of its own lease epoch; its records are handled
// one after the other through the VersionGuard; the lease is checked before every handler write and every
// acknowledgement; a record is acknowledged only after its handler's write. After a crash what was written but not
// acknowledged is delivered again to the partition's next owner, and the guard skips it as a duplicate.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';

import { RecordNotApplied } from './errors.js';
import { MongoLeaseStore } from './leases/lease-store.js';
import { partitionId } from './leases/partition-balance.js';
import { LeasedPartitionOwnership } from './leases/partition-ownership.js';
import { checkTiming, PARTITION_LEASES } from './leases/timing.js';
import { DeliveryOrder, startPartitionConsumer } from './nats/partition-consumer.js';
import { decodeRecord } from './records.js';
import { stopOnSignals } from './shutdown-signals.js';
import { VersionGuard } from './version-guard.js';

/** How Ferry records a stream's partition count, in the stream's description (server 2.9 drops stream metadata). */
const RECORDED_PARTITIONS = /(?:^|\s)ferry partitions=(\d+)(?:\s|$)/;
const SUBJECT_TOKEN = /^[A-Za-z0-9_-]+$/;
/** Records handled between two acknowledgements at most (fewer when the pulled messages run out first). */
const ACK_EVERY = 100;
/** How long an orderly handover waits, in all, for the server to apply its acknowledgements (#retire). */
const HANDOVER_CONFIRMATION_MS = 1_000;

/** The lease ran out (or was taken) before a write: the partition is given up, the record left to the next owner. */
class LeaseLost extends RecordNotApplied {}

function headersOf(message) {
  const headers = {};
  if (message.headers) {
    for (const name of message.headers.keys()) {
      headers[name] = message.headers.get(name);
    }
  }
  return headers;
}

/**
 * One instance of a group reading Ferry's NATS stream in order.
 *
 * @example
 *   const consumer = new FerryNatsConsumer({
 *     nats: await connect({ servers: 'nats://nats:4222' }), leases: ferryDb,   // Ferry's database: ferry_leases
 *     group: 'billing-patients', types: ['patient'], instanceId: process.env.HOSTNAME,
 *     versions: patients, handle: (record, guard) => patients.apply(guard, { $set: { name: record.value.payload.name } }),
 *   });
 *   await consumer.start();
 */
export class FerryNatsConsumer {
  #nats;
  #store;
  #stream;
  #group;
  #types;
  #instanceId;
  #guardOptions;
  #onError;
  #onOwnership;
  #timing;
  #ackWaitMs;
  #maxAckPending;
  #batchSize;
  #signals;
  #sleep;
  #jsm = null;
  #js = null;
  #ownership = null;
  /** partition id -> the state of its consumption under one epoch */
  #active = new Map();
  /** partition id -> a stop in progress (finishing the record at hand, acknowledging, releasing): not started again */
  #halting = new Map();
  /** partition id -> the wait before giving it up after its next failure; kept across epochs, cleared by a success */
  #backoffs = new Map();
  #followTimer = null;
  #following = Promise.resolve();
  #stopped = false;
  #stopping = null;
  #stopListening = () => {};

  /**
   * @param {object} options see nats-consumer.d.ts
   */
  constructor({ nats, leases, leasesCollection = 'ferry_leases', leaseStore, jetstreamManager: manager,
    jetstream: client, stream = 'ferry', group, types, instanceId, versions, handle, onGap, onDecision, onUndecodable,
    onError, onOwnership, retry, timing = PARTITION_LEASES, ackWaitMs = 300_000, maxAckPending = 5_000,
    batchSize = 500, shutdownSignals = ['SIGTERM', 'SIGINT'], sleep } = {}) {
    if (typeof nats?.request !== 'function' || typeof nats?.closed !== 'function') {
      throw new TypeError('nats must be a connection from @nats-io/transport-node (await connect({ servers }))');
    }
    if (typeof group !== 'string' || group.trim() === '') {
      throw new TypeError('group must be a non-empty string: the read model whose partitions the instances share');
    }
    if (!Array.isArray(types) || types.length === 0 || !types.every((type) => SUBJECT_TOKEN.test(type))) {
      throw new TypeError(`types must name at least one aggregate or entity type, each of A-Z a-z 0-9 _ - (one subject `
        + `token), was ${JSON.stringify(types)}`);
    }
    if (typeof instanceId !== 'string' || instanceId === '') {
      throw new TypeError('instanceId must be a non-empty string, unique among the group\'s live instances (a pod name)');
    }
    this.#nats = nats;
    this.#store = leaseStore ?? new MongoLeaseStore(leases, leasesCollection);
    this.#jsm = manager ?? null;
    this.#js = client ?? null;
    this.#stream = stream;
    this.#group = group;
    this.#types = [...types];
    this.#instanceId = instanceId;
    this.#guardOptions = { versions, handle, onGap, onDecision, onUndecodable, retry, sleep };
    new VersionGuard(this.#guardOptions); // refuses bad options now, not at the first record
    this.#onError = onError ?? ((error) => console.error(`ferry: group ${group} instance ${instanceId}: `
      + `${error?.stack ?? error}`));
    this.#onOwnership = onOwnership ?? (() => {});
    this.#timing = checkTiming(timing);
    this.#ackWaitMs = ackWaitMs;
    this.#maxAckPending = maxAckPending;
    this.#batchSize = batchSize;
    this.#signals = shutdownSignals;
    this.#sleep = sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** The partitions (`<type>-<n>`) this instance reads now. */
  get owned() {
    return [...this.#active.keys()].sort();
  }

  /**
   * Reads the stream's partition count, joins the group and starts following its leases; resolves once running
   * (partitions are gained within a few hundred milliseconds).
   */
  async start() {
    if (this.#ownership !== null) {
      throw new Error('this consumer was started already');
    }
    this.#jsm ??= await jetstreamManager(this.#nats);
    this.#js ??= jetstream(this.#nats);
    const info = await this.#jsm.streams.info(this.#stream);
    const recorded = RECORDED_PARTITIONS.exec(info.config.description ?? '');
    if (recorded === null) {
      throw new Error(`NATS stream ${this.#stream} was not created by Ferry: its description `
        + `${JSON.stringify(info.config.description ?? '')} does not record the partition count ("ferry partitions=N")`);
    }
    const count = Number(recorded[1]);
    const partitions = this.#types.flatMap((type) => Array.from({ length: count }, (_, number) => ({ type, number })));
    this.#ownership = new LeasedPartitionOwnership({ store: this.#store, group: this.#group,
      instanceId: this.#instanceId, timing: this.#timing, partitions,
      onError: (error) => this.#onError(new Error(`leases unreachable now, tried again: ${error?.message ?? error}`,
        { cause: error })) });
    this.#ownership.start();
    // Closed for good (the client's reconnects used up, or closed by the application): hand every partition over.
    this.#nats.closed().then(() => {
      if (!this.#stopped) {
        this.#onError(new Error(`the NATS connection closed for good: group ${this.#group} instance `
          + `${this.#instanceId} stops consuming and hands its partitions over`));
        return this.stop();
      }
      return undefined;
    }).catch((error) => this.#onError(error));
    this.#stopListening = stopOnSignals(this.#signals, () => this.stop(), (error) => this.#onError(error));
    const loop = () => {
      if (this.#stopped) {
        return;
      }
      this.#following = this.#follow().catch((error) => this.#onError(error)).finally(() => {
        if (!this.#stopped) {
          this.#followTimer = setTimeout(loop, this.#timing.checkIntervalMs);
        }
      });
    };
    loop();
  }

  /**
   * Finishes the record at hand in each partition, stops, and releases every lease (the partitions move to the other
   * instances at once, not after the TTL). Everything written was acknowledged. Idempotent.
   */
  async stop() {
    this.#stopping ??= (async () => {
      this.#stopListening();
      this.#stopped = true;
      clearTimeout(this.#followTimer);
      await this.#following;
      [...this.#active.values()].forEach((state) => this.#retire(state, 'revoked'));
      // Each partition finishes its record at hand, acknowledges and releases; one whose record hangs is abandoned
      // after a lease TTL (#retire), so a hung handler does not hang the shutdown.
      await Promise.all([...this.#halting.values()]);
      await this.#ownership?.close();
    })();
    return this.#stopping;
  }

  /** Starts what was won, hands back what the balance wants back, drops what was lost or given up. */
  async #follow() {
    for (const state of [...this.#active.values()]) {
      if (state.fenced || !this.#ownership.isValid(state.partition, state.epoch)) {
        state.fenced = true; // nothing more is written or acknowledged under this epoch
        this.#retire(state, 'lost');
      } else if (this.#ownership.releaseRequested(state.partition)) {
        this.#retire(state, 'revoked');
      }
    }
    for (const partition of this.#ownership.held()) {
      const id = partitionId(partition);
      if (this.#active.has(id) || this.#halting.has(id)) {
        continue;
      }
      if (this.#ownership.releaseRequested(partition)) {
        await this.#ownership.release(partition);
        continue;
      }
      const epoch = this.#ownership.epoch(partition);
      if (epoch === null || this.#stopped) {
        continue;
      }
      try {
        const consumer = await startPartitionConsumer({ jsm: this.#jsm, js: this.#js, stream: this.#stream,
          group: this.#group, partition, epoch, ackWaitMs: this.#ackWaitMs, maxAckPending: this.#maxAckPending,
          batchSize: this.#batchSize });
        let wake;
        const halted = new Promise((resolve) => { wake = resolve; });
        const state = { id, partition, epoch, name: consumer.name, messages: consumer.messages, floor: consumer.floor,
          acknowledgedUpTo: consumer.floor,
          ackFloorDelivery: consumer.ackFloorDelivery, fenced: false, stopping: false, halted, wake: () => wake(),
          done: null };
        this.#active.set(id, state);
        state.done = this.#run(state).catch((error) => {
          state.fenced = true; // given up: released at the next follow
          this.#onError(error);
        });
        this.#onOwnership({ event: 'gained', partition: id, epoch, floor: consumer.floor });
      } catch (error) {
        this.#onError(new Error(`cannot start consuming ${id} now (tried again): ${error?.message ?? error}`,
          { cause: error }));
      }
    }
  }

  /**
   * Stops reading a partition without waiting for it: the record at hand is finished, what was written acknowledged
   * (unless the lease was lost), then the lease is released at its epoch. The partition is not started again before.
   */
  #retire(state, event) {
    this.#active.delete(state.id);
    // A record at hand that does not finish within a lease TTL (a hung write) must not hold the partition for good:
    // its lease is then left to run out and released, so that the balance moves it (as Kafka's rebalance timeout does).
    let timer;
    const stuck = new Promise((resolve) => { timer = setTimeout(() => resolve(true), this.#timing.ttlMs); });
    const retired = Promise.race([this.#halt(state).then(() => false), stuck])
      .then((abandoned) => {
        clearTimeout(timer);
        if (abandoned) {
          this.#onError(new Error(`partition ${state.id} at epoch ${state.epoch}: the record at hand did not finish `
            + `within ${this.#timing.ttlMs} ms; its lease is left to run out and then released`));
          state.fenced = true;
          this.#ownership.abandon(state.partition, state.epoch);
          return undefined;
        }
        // In order: the next owner starts after what was acknowledged, not below it (with its own bound, after the
        // record at hand, so that it does not count against the TTL above).
        return (state.fenced ? Promise.resolve() : this.#acknowledgementsApplied(state))
          .then(() => this.#ownership.release(state.partition, state.epoch));
      })
      .then(() => this.#onOwnership({ event, partition: state.id, epoch: state.epoch }))
      .catch((error) => this.#onError(error))
      .finally(() => this.#halting.delete(state.id));
    this.#halting.set(state.id, retired);
  }

  /** Stops a partition's reading after the record at hand (and ends a backoff at once). */
  async #halt(state) {
    state.stopping = true;
    state.wake();
    state.messages.stop();
    await state.done;
  }

  /**
   * Reads the partition until halted. Records are taken in stream order (DeliveryOrder: a redelivery of one taken is
   * dropped; deliveries lost in transit stop the reading), handled one after the other through the VersionGuard, and
   * acknowledged in batches, as kafkajs commits: the last record done, once the pulled messages are all handled or
   * every ACK_EVERY records, and when reading stops — never one whose write has not resolved. With acknowledgement
   * policy all, one acknowledgement covers the partition's prefix up to it.
   *
   * A failure (a record not applied after its retries, a gap or an undecodable record refused, deliveries lost, the
   * messages ending) acknowledges what was done, waits a backoff (0.5 s doubling to 30 s per partition, holding the
   * partition, as kafkajs waits before restarting a consumer) and gives the partition up: its lease is released, the
   * balance takes it again (here or elsewhere) and the next epoch's consumer starts after what was acknowledged, so
   * the record comes again.
   */
  async #run(state) {
    const guard = new VersionGuard({ ...this.#guardOptions,
      handle: (record, versionGuard) => this.#fencedWrite(state, record, versionGuard) });
    const order = new DeliveryOrder(state.ackFloorDelivery, state.floor);
    let done = null;
    let sinceAck = 0;
    let failure = null;
    const acknowledge = () => {
      // Fenced as the writes are: the lease must be valid on this instance's clock right before acknowledging.
      if (!this.#ownership.isValid(state.partition, state.epoch)) {
        state.fenced = true;
        return false;
      }
      if (done !== null) {
        done.ack();
        state.acknowledgedUpTo = done.seq;
      }
      done = null;
      sinceAck = 0;
      return true;
    };
    try {
      for await (const message of state.messages) {
        if (state.stopping) {
          break;
        }
        const taken = order.next(message.seq, message.info.deliverySequence);
        if (taken === 'drop') {
          continue;
        }
        if (taken === 'gap') {
          failure = new Error(`deliveries were lost in transit before stream sequence ${message.seq} (delivery `
            + `${message.info.deliverySequence}): nothing after them is taken`);
          break;
        }
        const { data } = message; // a view on the message's bytes, not a copy
        const record = decodeRecord({ topic: state.partition.type, partition: state.partition.number,
          offset: String(message.seq), key: null, value: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
          headers: headersOf(message) });
        await guard.process(record, { isRunning: () => !state.stopping });
        done = message;
        sinceAck += 1;
        this.#backoffs.delete(state.id);
        if ((sinceAck >= ACK_EVERY || state.messages.getPending() === 0) && !acknowledge()) {
          break;
        }
      }
      if (failure === null && !state.stopping && !state.fenced) {
        failure = new Error('its messages ended (the NATS connection closed?)');
      }
    } catch (error) {
      failure = error;
    } finally {
      state.messages.stop();
    }
    if (!state.fenced && done !== null) {
      try {
        acknowledge(); // what was done before a halt or a failure
      } catch (error) {
        this.#onError(error); // NATS gone: the next owner gets those records again and skips them by version
      }
    }
    if (failure === null || state.stopping || state.fenced) {
      return;
    }
    const backoffMs = this.#backoffs.get(state.id) ?? 500;
    this.#backoffs.set(state.id, Math.min(30_000, backoffMs * 2));
    this.#onError(new Error(`partition ${state.id} at epoch ${state.epoch}: ${failure?.message ?? failure}; given up `
      + `in ${backoffMs} ms, to be read again from what was acknowledged`, { cause: failure }));
    await Promise.race([this.#sleep(backoffMs), state.halted]);
    state.fenced = true; // the next follow releases it
  }

  /**
   * Before a partition is handed over in order (its lease released): waits, for at most HANDOVER_CONFIRMATION_MS, until
   * the server's ack floor holds everything acknowledged. Acknowledgements are sent without waiting for an answer and
   * applied by the server later; released before that, the next owner would start below them and read those records
   * again (which its version checks absorb, as after a crash, but an orderly handover should not cost that).
   */
  async #acknowledgementsApplied(state) {
    const { acknowledgedUpTo } = state;
    if (acknowledgedUpTo <= state.floor) {
      return; // nothing acknowledged under this epoch
    }
    const deadline = Date.now() + HANDOVER_CONFIRMATION_MS;
    const floor = async () => {
      let timer;
      const late = new Promise((resolve) => {
        timer = setTimeout(() => resolve(null), Math.max(1, deadline - Date.now()));
      });
      try {
        const info = await Promise.race([this.#jsm.consumers.info(this.#stream, state.name), late]);
        return info === null ? null : info.ack_floor.stream_seq;
      } finally {
        clearTimeout(timer);
      }
    };
    try {
      for (let seen = await floor(); seen === null || seen < acknowledgedUpTo; seen = await floor()) {
        if (seen === null || Date.now() >= deadline) {
          this.#onError(new Error(`partition ${state.id} at epoch ${state.epoch}: the server did not confirm its `
            + `acknowledgements within ${HANDOVER_CONFIRMATION_MS} ms; its next owner may read the last records again`));
          return;
        }
        await new Promise((resolve) => { setTimeout(resolve, 5); }); // the server applies them within milliseconds
      }
    } catch (error) {
      this.#onError(error); // NATS gone: the next owner gets those records again and skips them by version
    }
  }

  /** The handler's write, only while the partition's lease is valid at its epoch (the protocol's write fence). */
  async #fencedWrite(state, record, guard) {
    if (state.fenced || !this.#ownership.isValid(state.partition, state.epoch)) {
      state.fenced = true; // refused once, refused for good under this epoch: a later record must not overtake it
      throw new LeaseLost(`the lease of ${state.id} at epoch ${state.epoch} is no longer valid: not written, left to `
        + 'the next owner', record);
    }
    return this.#guardOptions.handle(record, guard);
  }
}
