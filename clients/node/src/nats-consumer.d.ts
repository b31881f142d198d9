import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Db } from 'mongodb';

import type { GuardOptions } from './version-guard.js';

/** A change of this instance's partitions. */
export interface OwnershipChange {
  /** lost: the lease ran out or was taken, or the partition was given up after a failure (read again later). */
  event: 'gained' | 'revoked' | 'lost';
  /** `<type>-<n>` */
  partition: string;
  /** The partition lease's epoch: it names the partition's consumer for this owner. */
  epoch: number;
  /** gained only: the stream sequence the partition is done up to; reading starts after it. */
  floor?: number;
}

/** Lease timing in milliseconds of a monotonic clock (contracts/partition-leases.md); the default is Ferry's. */
export interface LeaseTiming {
  ttlMs: number;
  renewIntervalMs: number;
  checkIntervalMs: number;
  marginMs: number;
}

export interface FerryNatsConsumerOptions extends GuardOptions {
  /** A connection from @nats-io/transport-node's `connect()`; the consumer never closes it. */
  nats: NatsConnection;
  /**
   * Ferry's database: the partition leases live in its `ferry_leases`, beside Ferry's own. Required unless
   * `leaseStore` is given.
   */
  leases?: Db;
  /** Default `ferry_leases`. */
  leasesCollection?: string;
  /**
   * Instead of `leases`: a lease store of your own with MongoLeaseStore's compare-and-set semantics (tests); every
   * instance of the group must see the same one.
   */
  leaseStore?: {
    read(name: string): Promise<unknown>;
    readAll(prefix: string): Promise<unknown[]>;
    tryAcquire(name: string, owner: string, seen: unknown): Promise<unknown>;
    renew(name: string, owner: string, epoch: number): Promise<boolean>;
    release(name: string, owner: string, epoch: number): Promise<void>;
    remove(seen: unknown): Promise<void>;
  };
  /** JetStream's API as you made it (a domain, an API prefix); default `jetstreamManager(nats)`. */
  jetstreamManager?: JetStreamManager;
  /** Default `jetstream(nats)`. */
  jetstream?: JetStreamClient;
  /** Ferry's stream (`nats.stream`); default `ferry`. Its description records the partition count. */
  stream?: string;
  /** The group whose instances share the partitions (a read model); names its leases and consumers. */
  group: string;
  /** The aggregate or entity types to read: subjects `<stream>.<type>.<n>`. */
  types: string[];
  /** Unique among the group's live instances: a pod name, plus a random part if a pod can run twice. */
  instanceId: string;
  /** Errors that do not stop the consumer (it retries): leases or NATS unreachable, a record not applied. */
  onError?: (error: unknown) => unknown;
  onOwnership?: (change: OwnershipChange) => unknown;
  /** Ferry's partition lease timing unless every instance of the group (Java ones too) uses the same other one. */
  timing?: LeaseTiming;
  /** Default 300,000 (5 min): a redelivery after it is dropped anyway. */
  ackWaitMs?: number;
  /** Default 5,000. */
  maxAckPending?: number;
  /** Messages pulled at a time per partition; default 500. */
  batchSize?: number;
  /** Tests: the wait used for retries and backoffs. */
  sleep?: (ms: number) => Promise<void>;
  /** Signals that stop the consumer cleanly; default SIGTERM and SIGINT; [] to handle them yourself. */
  shutdownSignals?: NodeJS.Signals[];
}

/**
 * One instance of a group reading Ferry's NATS JetStream stream in order: the instances share the partitions through
 * leases in MongoDB (the protocol Ferry's Java projectors follow), each record guarded by version and acknowledged
 * only after its write.
 */
export declare class FerryNatsConsumer {
  constructor(options: FerryNatsConsumerOptions);
  /** The partitions (`<type>-<n>`) this instance reads now. */
  readonly owned: string[];
  /** Reads the partition count from the stream, joins the group and starts following its leases. */
  start(): Promise<void>;
  /** Finishes the record at hand in each partition, stops and releases every lease. Idempotent. */
  stop(): Promise<void>;
}
