import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { FerryKafkaConsumer, FerryNatsConsumer, MongoReadModel, type EventRecord, type Guard,
  type GuardOptions } from '@ferry/client';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kafka, logLevel } from 'kafkajs';
import type { Collection, Document, Long, UpdateFilter } from 'mongodb';

import { CONFIG, type Config } from './config.js';
import { Mongo } from './mongo.js';

/**
 * What a patient's event does to its read-model document (`state`), the fold of `ferry demo`'s healthcare domain:
 * a registration sets the whole state, an update merges the fields it carries, a discharge removes the state (the
 * document stays, holding the version, so that a redelivery cannot bring the patient back). Other events change
 * nothing but the version.
 */
export function patientUpdate(eventType: string, payload: Record<string, unknown>): UpdateFilter<Document> | undefined {
  switch (eventType) {
    case 'PatientRegistered':
      return { $set: { state: payload } };
    case 'PatientUpdated':
      return Object.keys(payload).length === 0 ? undefined
        : { $set: Object.fromEntries(Object.entries(payload).map(([field, value]) => [`state.${field}`, value])) };
    case 'PatientDischarged':
      return { $unset: { state: '' } };
    default:
      return undefined;
  }
}

/** A patient in the read model: `_id` is the aggregate id, `_version` its last applied event's version. */
export interface PatientDocument {
  _id: string;
  _version: Long | number;
  _lastRecordId?: string;
  state?: Record<string, unknown>;
}

/** What both consumers do: start, and stop after the record at hand with everything written acknowledged. */
interface PatientConsumer {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The patients' read model, kept from Ferry's patient events by one instance of a group — a Kafka consumer group on
 * `<prefix>patient`, or on NATS the instances sharing `<stream>.patient.<n>` through Ferry's partition leases: run as
 * many instances of the service as you like, each patient's events are applied once and in order. Starts when the
 * application has started, stops (finishing the record at hand, acknowledging what was written, handing its partitions
 * over) when it shuts down.
 */
@Injectable()
export class PatientsReadModel implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(PatientsReadModel.name);
  readonly collection: Collection<PatientDocument>;
  private readonly documents: MongoReadModel;
  private consumer?: PatientConsumer;
  private nats?: NatsConnection;

  constructor(@Inject(CONFIG) private readonly config: Config, private readonly mongo: Mongo) {
    this.collection = mongo.db.collection<PatientDocument>(config.readModelCollection);
    this.documents = new MongoReadModel(this.collection);
  }

  /** The same guard, handler and fold on either transport. */
  private guardOptions(): GuardOptions {
    return {
      versions: this.documents,
      // the patient topic holds events only; anything else would just move its key's version
      handle: (record, guard) => (record.kind === 'event' ? this.apply(record, guard) : this.documents.apply(guard)),
      onGap: (gap) => this.logger.error(`patient ${gap.key} is at version ${gap.stored}: missed what is before ${gap.version}`),
    };
  }

  private apply(record: EventRecord, guard: Guard): Promise<boolean> {
    const { eventType, payload, eventId } = record.value;
    return this.documents.apply(guard, patientUpdate(eventType, payload), { recordId: eventId });
  }

  async onApplicationBootstrap(): Promise<void> {
    const { config } = this;
    if (config.transport === 'nats') {
      // NATS: the instances share the stream's partitions through Ferry's leases, in Ferry's database
      this.nats = await connect({ servers: config.natsServers, name: `ferry-nestjs-example-${config.instanceId}` });
      this.consumer = new FerryNatsConsumer({
        ...this.guardOptions(),
        nats: this.nats, leases: this.mongo.db, stream: config.natsStream, group: config.groupId, types: ['patient'],
        instanceId: config.instanceId,
        onOwnership: (change) => this.logger.log(`${change.event} ${change.partition} (epoch ${change.epoch})`),
        onError: (error) => this.logger.warn(String(error)),
        shutdownSignals: [], // NestJS handles SIGTERM (enableShutdownHooks): it calls onModuleDestroy below
      });
    } else {
      this.consumer = new FerryKafkaConsumer({
        ...this.guardOptions(),
        kafka: new Kafka({ clientId: 'ferry-nestjs-example', brokers: config.brokers, logLevel: logLevel.WARN }),
        groupId: config.groupId,
        topics: [`${config.topicPrefix}patient`],
        onAssigned: (assignment) => this.logger.log(`assigned partitions ${JSON.stringify(assignment)}`),
        shutdownSignals: [],
      });
    }
    await this.consumer.start();
    this.logger.log(`consuming from ${config.transport}`);
  }

  async onModuleDestroy(): Promise<void> {
    await this.consumer?.stop();
    await this.nats?.close();
    this.logger.log(this.config.transport === 'nats' ? 'stopped consuming; every record written acknowledged, leases '
      + 'released' : 'stopped consuming; offsets committed');
  }
}
