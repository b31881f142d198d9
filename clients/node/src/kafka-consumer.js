// Consuming Ferry's Kafka topics in order with N instances: a kafkajs consumer group shares the partitions out (a
// key's records are all in one partition, in the relay's order), each partition's records are handled one after the
// other through the VersionGuard, and a record's offset is resolved only after its handler's write — kafkajs commits
// resolved offsets only, so what is committed has been written. After a crash, what was written but not yet committed
// is delivered again, to whichever instance owns the partition then, and the guard skips it as a duplicate.
//
// Why kafkajs (2.2.4, the last release) and not @confluentinc/kafka-javascript: the latter's install script
// (node-pre-gyp) downloads its native part (librdkafka) from GitHub releases, outside the npm registry, or else
// compiles it; kafkajs is plain JavaScript with no dependencies and installs from the registry alone with `npm ci`.

import { RecordNotApplied } from './errors.js';
import { decodeRecord } from './records.js';
import { stopOnSignals } from './shutdown-signals.js';
import { VersionGuard } from './version-guard.js';

/**
 * One instance of a consumer group reading Ferry's topics in order.
 *
 * @example
 *   const consumer = new FerryKafkaConsumer({
 *     kafka: new Kafka({ clientId: 'billing', brokers: ['kafka:9092'] }),
 *     groupId: 'billing-patients-read-model', topics: ['ferry.patient'],
 *     versions: patients,                                   // a MongoReadModel, or your own lastVersion(key)
 *     handle: (record, guard) => patients.apply(guard, { $set: { name: record.value.payload.name } }),
 *   });
 *   await consumer.start();
 */
export class FerryKafkaConsumer {
  #kafka;
  #groupId;
  #topics;
  #fromBeginning;
  #consumerConfig;
  #runConfig;
  #signals;
  #guard;
  #onError;
  #onAssigned;
  #consumer = null;
  #stopListening = () => {};
  #stopping = null;

  /**
   * @param {object} options see kafka-consumer.d.ts
   */
  constructor({ kafka, groupId, topics, versions, handle, onGap, onDecision, onUndecodable, onError, onAssigned, retry,
    fromBeginning = true, partitionsConsumedConcurrently = 1, consumerConfig = {},
    shutdownSignals = ['SIGTERM', 'SIGINT'], sleep } = {}) {
    if (typeof kafka?.consumer !== 'function') {
      throw new TypeError('kafka must be a kafkajs Kafka instance (new Kafka({ clientId, brokers }))');
    }
    if (typeof groupId !== 'string' || groupId.trim() === '') {
      throw new TypeError('groupId must be a non-empty string: the group whose committed offsets this read model owns');
    }
    if (!Array.isArray(topics) || topics.length === 0) {
      throw new TypeError('topics must name at least one topic (e.g. `ferry.patient`) or pattern');
    }
    if (!Number.isInteger(partitionsConsumedConcurrently) || partitionsConsumedConcurrently < 1) {
      throw new RangeError(`partitionsConsumedConcurrently must be a positive integer, was ${partitionsConsumedConcurrently}`);
    }
    this.#kafka = kafka;
    this.#groupId = groupId;
    this.#topics = topics;
    this.#fromBeginning = fromBeginning;
    // 10 s: a dead instance's partitions move to the others within about that; kafkajs sends heartbeats only between
    // records (the consumer calls heartbeat() after each), so one handler call must stay well below it
    this.#consumerConfig = { sessionTimeout: 10_000, heartbeatInterval: 1_000, ...consumerConfig, groupId };
    this.#runConfig = { partitionsConsumedConcurrently };
    this.#signals = shutdownSignals;
    this.#guard = new VersionGuard({ versions, handle, onGap, onDecision, onUndecodable, retry, sleep });
    this.#onError = onError ?? ((error) => console.error(`ferry: consumer group ${groupId}: ${error?.stack ?? error}`));
    this.#onAssigned = onAssigned ?? (() => {});
  }

  /** The kafkajs consumer, once started (for its `events` and `describeGroup`). */
  get consumer() {
    return this.#consumer;
  }

  /** Joins the group, subscribes and starts handling; resolves once running. */
  async start() {
    if (this.#consumer) {
      throw new Error('this consumer was started already');
    }
    this.#consumer = this.#kafka.consumer(this.#consumerConfig);
    const events = this.#consumer.events ?? {};
    this.#consumer.on?.(events.CRASH ?? 'consumer.crash', (event) => this.#onError(event?.payload?.error));
    this.#consumer.on?.(events.GROUP_JOIN ?? 'consumer.group_join',
      (event) => this.#onAssigned(event?.payload?.memberAssignment ?? {}));
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topics: this.#topics, fromBeginning: this.#fromBeginning });
    this.#stopListening = stopOnSignals(this.#signals, () => this.stop(), (error) => this.#onError(error));
    await this.#consumer.run({
      ...this.#runConfig,
      // kafkajs's autoCommit commits only offsets resolved below (after each batch, on a rebalance, on stop): it is
      // not Java's enable.auto.commit, which commits what was polled. Nothing is resolved before its write.
      autoCommit: true,
      eachBatchAutoResolve: false,
      eachBatch: (batch) => this.#eachBatch(batch),
    });
  }

  /**
   * One partition's records, in offset order: each is handled to the end before the next, and its offset resolved
   * only then. A stop or a rebalance ends the batch after the record at hand; what follows is delivered again.
   */
  async #eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }) {
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) {
        return;
      }
      const record = decodeRecord({ topic: batch.topic, partition: batch.partition, offset: message.offset,
        key: message.key, value: message.value, headers: message.headers });
      try {
        await this.#guard.process(record, { heartbeat, isRunning });
      } catch (error) {
        // kafkajs gives up on a consumer for good at a TypeError or a RangeError (its "programming errors"), silently
        // leaving its partitions unread: as a RecordNotApplied the consumer restarts and the record comes again.
        throw error instanceof RecordNotApplied ? error : new RecordNotApplied(String(error?.message ?? error), record,
          error);
      }
      resolveOffset(message.offset);
      await heartbeat();
    }
  }

  /**
   * Stops handling after the record at hand, commits what was written and leaves the group (its partitions move to
   * the other instances at once, not after the session timeout). Idempotent.
   */
  async stop() {
    this.#stopping ??= (async () => {
      this.#stopListening();
      await this.#consumer?.disconnect();
    })();
    return this.#stopping;
  }
}
