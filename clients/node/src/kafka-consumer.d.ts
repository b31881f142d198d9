import type { Consumer, ConsumerConfig, Kafka } from 'kafkajs';

import type { GuardOptions } from './version-guard.js';

export interface FerryKafkaConsumerOptions extends GuardOptions {
  /** A kafkajs `Kafka` (your brokers, client id, TLS, SASL, log level). */
  kafka: Kafka;
  /**
   * The consumer group: its committed offsets say how far this read model got. One group per read model, the same
   * on every instance of it, never shared with another read model, and kept across deployments (a new group id
   * starts over from `fromBeginning`).
   */
  groupId: string;
  /** Topics (`<kafka.topicPrefix><type>`, e.g. `ferry.patient`) or patterns. Not the dead-letter topic. */
  topics: (string | RegExp)[];
  /** Where a group with no committed offset starts; default true (a read model needs every record). */
  fromBeginning?: boolean;
  /** Partitions handled at once by this instance, each still in order; default 1. */
  partitionsConsumedConcurrently?: number;
  /** More kafkajs consumer settings; default sessionTimeout 10,000 ms, heartbeatInterval 1,000 ms. */
  consumerConfig?: Partial<Omit<ConsumerConfig, 'groupId'>>;
  /** Signals on which the consumer stops cleanly, then lets the signal end the process; default SIGTERM and SIGINT. */
  shutdownSignals?: NodeJS.Signals[];
  /** After each join of the group: the partitions this instance owns now, by topic. */
  onAssigned?: (assignment: Record<string, number[]>) => unknown;
  /** A crash of the kafkajs consumer (it restarts itself) or a failed stop; default: logged. */
  onError?: (error: unknown) => unknown;
}

/** One instance of a consumer group reading Ferry's topics in order, each record guarded by version. */
export declare class FerryKafkaConsumer {
  constructor(options: FerryKafkaConsumerOptions);
  /** The kafkajs consumer once started (its `events`, `describeGroup`). */
  readonly consumer: Consumer | null;
  /** Joins the group, subscribes and starts handling. */
  start(): Promise<void>;
  /** Stops after the record at hand, commits what was written, leaves the group. Idempotent. */
  stop(): Promise<void>;
}
