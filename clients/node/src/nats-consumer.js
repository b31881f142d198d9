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
import { pull, restartPartitionConsumer, startPartitionConsumer, subjectOf } from './nats/partition-consumer.js';
import { decodeRecord } from './records.js';
import { VersionGuard } from './version-guard.js';

/** How Ferry records a stream's partition count, in the stream's description (server 2.9 drops stream metadata). */
const RECORDED_PARTITIONS = /(?:^|\s)ferry partitions=(\d+)(?:\s|$)/;
const SUBJECT_TOKEN = /^[A-Za-z0-9_-]+$/;
/** Records handled between two acknowledgements at most (fewer when the pulled messages run out first). */
const ACK_EVERY = 100;

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
  #followTimer = null;
  #following = Promise.resolve();
  #stopped = false;
  #stopping = null;
  #signalListeners = [];

  /**
   * @param {object} options see nats-consumer.d.ts
   */
  constructor({ nats, leases, leasesCollection = 'ferry_leases', stream = 'ferry', group, types, instanceId, versions,
    handle, onGap, onDecision, onUndecodable, onError, onOwnership, retry, timing = PARTITION_LEASES,
    ackWaitMs = 300_000, maxAckPending = 5_000, batchSize = 500, shutdownSignals = ['SIGTERM', 'SIGINT'], sleep } = {}) {
    if (typeof nats?.request !== 'function' || typeof nats?.close !== 'function') {
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
    this.#store = new MongoLeaseStore(leases, leasesCollection);
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
    this.#jsm = await jetstreamManager(this.#nats);
    this.#js = jetstream(this.#nats);
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
    for (const signal of this.#signals) {
      const listener = () => this.#stopOnSignal(signal);
      process.once(signal, listener);
      this.#signalListeners.push([signal, listener]);
    }
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
      for (const [signal, listener] of this.#signalListeners) {
        process.removeListener(signal, listener);
      }
      this.#signalListeners = [];
      this.#stopped = true;
      clearTimeout(this.#followTimer);
      await this.#following;
      await Promise.all([...this.#active.values()].map((state) => this.#halt(state)));
      this.#active.clear();
      await this.#ownership?.close();
    })();
    return this.#stopping;
  }

  /** Starts what was won, hands back what the balance wants back, drops what was lost. */
  async #follow() {
    for (const state of [...this.#active.values()]) {
      if (state.fenced || !this.#ownership.isValid(state.partition, state.epoch)) {
        this.#active.delete(state.id);
        state.fenced = true;
        // Nothing more is written or acknowledged under this epoch; released once the record at hand is done.
        this.#halt(state).then(() => this.#ownership.release(state.partition, state.epoch))
          .catch((error) => this.#onError(error));
        this.#onOwnership({ event: 'lost', partition: state.id, epoch: state.epoch });
      } else if (this.#ownership.releaseRequested(state.partition)) {
        this.#active.delete(state.id);
        await this.#halt(state); // its records were acknowledged as they were written
        await this.#ownership.release(state.partition, state.epoch);
        this.#onOwnership({ event: 'revoked', partition: state.id, epoch: state.epoch });
      }
    }
    for (const partition of this.#ownership.held()) {
      const id = partitionId(partition);
      if (this.#active.has(id)) {
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
        const state = { id, partition, epoch, name: consumer.name, messages: consumer.messages, fenced: false,
          stopping: false, done: null };
        this.#active.set(id, state);
        state.done = this.#run(state);
        this.#onOwnership({ event: 'gained', partition: id, epoch, floor: consumer.floor });
      } catch (error) {
        this.#onError(new Error(`cannot start consuming ${id} now (tried again): ${error?.message ?? error}`,
          { cause: error }));
      }
    }
  }

  /** Stops a partition's consumption after the record at hand. */
  async #halt(state) {
    state.stopping = true;
    state.messages.stop();
    await state.done;
  }

  /**
   * Reads the partition until halted; a record that fails for good (retries ran out, a gap or an undecodable record
   * refused) is not acknowledged: after a backoff the partition is read again from its floor, and the record comes
   * again, as kafkajs restarts a consumer.
   *
   * Acknowledged in batches, as kafkajs commits: the last record done, once the pulled messages are all handled or
   * every ACK_EVERY records, and when the partition is handed back. With acknowledgement policy all, one covers the
   * partition's prefix up to it. What a crash leaves written but unacknowledged comes again and is skipped by version.
   */
  async #run(state) {
    const guard = new VersionGuard({ ...this.#guardOptions,
      handle: (record, versionGuard) => this.#fencedWrite(state, record, versionGuard) });
    let backoffMs = 500;
    let lastDelivered = 0;
    let done = null;
    let sinceAck = 0;
    const acknowledge = () => {
      // Fenced as the writes are: the lease must be valid on this instance's clock right before acknowledging.
      if (!this.#ownership.isValid(state.partition, state.epoch)) {
        state.fenced = true;
        return false;
      }
      done?.ack();
      done = null;
      sinceAck = 0;
      return true;
    };
    while (!state.stopping) {
      let failure = null;
      try {
        for await (const message of state.messages) {
          if (state.stopping) {
            break;
          }
          // A redelivery of a message handled already (ack_wait ran out meanwhile): order never depends on ack_wait.
          if (message.seq <= lastDelivered) {
            continue;
          }
          lastDelivered = message.seq;
          const record = decodeRecord({ topic: state.partition.type, partition: state.partition.number,
            offset: String(message.seq), key: null, value: Buffer.from(message.data), headers: headersOf(message) });
          await guard.process(record, { isRunning: () => !state.stopping });
          done = message;
          sinceAck += 1;
          if ((sinceAck >= ACK_EVERY || state.messages.getPending() === 0) && !acknowledge()) {
            break;
          }
          backoffMs = 500;
        }
      } catch (error) {
        failure = error;
      }
      if (!state.fenced && done !== null) {
        acknowledge(); // what was done before a halt or a failure
      }
      if (state.stopping || state.fenced || failure === null) {
        return;
      }
      this.#onError(new Error(`partition ${state.id}: a record was not applied; reading the partition again from its `
        + `floor in ${backoffMs} ms: ${failure?.message ?? failure}`, { cause: failure }));
      await this.#sleep(backoffMs);
      backoffMs = Math.min(30_000, backoffMs * 2);
      if (state.stopping || !this.#ownership.isValid(state.partition, state.epoch)) {
        return;
      }
      try {
        state.messages.stop();
        lastDelivered = await restartPartitionConsumer({ jsm: this.#jsm, stream: this.#stream, name: state.name,
          filterSubject: subjectOf(this.#stream, state.partition), ackWaitMs: this.#ackWaitMs,
          maxAckPending: this.#maxAckPending });
        state.messages = await pull({ js: this.#js, stream: this.#stream, name: state.name,
          batchSize: this.#batchSize, maxAckPending: this.#maxAckPending });
      } catch (error) {
        // NATS unreachable: give the partition up (released at the next follow, taken again from its floor)
        this.#onError(error);
        state.fenced = true;
        return;
      }
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

  async #stopOnSignal(signal) {
    try {
      await this.stop();
    } catch (error) {
      this.#onError(error);
    }
    if (process.listenerCount(signal) === 0) {
      process.kill(process.pid, signal);
    }
  }
}
