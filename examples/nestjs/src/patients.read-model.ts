import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { FerryKafkaConsumer, MongoReadModel, type EventRecord, type Guard } from '@ferry/client';
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

/**
 * The patients' read model, kept from Ferry's `<prefix>patient` topic by one instance of a Kafka consumer group: run
 * as many instances of the service as you like, each patient's events are applied once and in order. Starts when the
 * application has started, stops (finishing the record at hand, committing, leaving the group) when it shuts down.
 */
/** A patient in the read model: `_id` is the aggregate id, `_version` its last applied event's version. */
export interface PatientDocument {
  _id: string;
  _version: Long | number;
  _lastRecordId?: string;
  state?: Record<string, unknown>;
}

@Injectable()
export class PatientsReadModel implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(PatientsReadModel.name);
  readonly collection: Collection<PatientDocument>;
  private readonly documents: MongoReadModel;
  private readonly consumer: FerryKafkaConsumer;

  constructor(@Inject(CONFIG) config: Config, mongo: Mongo) {
    this.collection = mongo.db.collection<PatientDocument>(config.readModelCollection);
    this.documents = new MongoReadModel(this.collection);
    this.consumer = new FerryKafkaConsumer({
      kafka: new Kafka({ clientId: 'ferry-nestjs-example', brokers: config.brokers, logLevel: logLevel.WARN }),
      groupId: config.groupId,
      topics: [`${config.topicPrefix}patient`],
      versions: this.documents,
      // the patient topic holds events only; anything else would just move its key's version
      handle: (record, guard) => (record.kind === 'event' ? this.apply(record, guard) : this.documents.apply(guard)),
      onGap: (gap) => this.logger.error(`patient ${gap.key} is at version ${gap.stored}: missed what is before ${gap.version}`),
      onAssigned: (assignment) => this.logger.log(`assigned partitions ${JSON.stringify(assignment)}`),
      shutdownSignals: [], // NestJS handles SIGTERM (enableShutdownHooks): it calls onModuleDestroy below
    });
  }

  private apply(record: EventRecord, guard: Guard): Promise<boolean> {
    const { eventType, payload, eventId } = record.value;
    return this.documents.apply(guard, patientUpdate(eventType, payload), { recordId: eventId });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.consumer.start();
    this.logger.log('consuming');
  }

  async onModuleDestroy(): Promise<void> {
    await this.consumer.stop();
    this.logger.log('stopped consuming; offsets committed');
  }
}
