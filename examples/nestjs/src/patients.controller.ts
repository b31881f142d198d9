import {
  Body, ConflictException, Controller, Get, HttpCode, NotFoundException, Param, Post,
} from '@nestjs/common';
import { ConcurrencyConflict, EventStore, type StoredEvent } from '@ferry/client';

import { Mongo } from './mongo.js';
import { PatientsReadModel } from './patients.read-model.js';

/** An append: the events continue the patient's history at `expectedVersion` (0 for a new patient). */
interface AppendRequest {
  expectedVersion: number;
  events: { eventType: string; payload: Record<string, unknown> }[];
}

/**
 * Appends a patient's events to Ferry's event store (the commit contract: Ferry's relay publishes them to Kafka) and
 * reads the patient's read-model document, which this service's consumer keeps from what the relay published.
 */
@Controller('patients')
export class PatientsController {
  private readonly store: EventStore;

  constructor(mongo: Mongo, private readonly readModel: PatientsReadModel) {
    this.store = new EventStore(mongo.db); // the collection `events`, as Ferry's relay reads it
  }

  @Post(':id/events')
  @HttpCode(201)
  async append(@Param('id') id: string, @Body() request: AppendRequest): Promise<StoredEvent[]> {
    try {
      return await this.store.append('patient', id, request.expectedVersion, request.events);
    } catch (error) {
      if (error instanceof ConcurrencyConflict) {
        throw new ConflictException(error.message); // 409: read the patient again, decide again
      }
      throw error;
    }
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<{ id: string; version: number; state: unknown }> {
    const document = await this.readModel.collection.findOne({ _id: id });
    if (!document) {
      throw new NotFoundException(`no patient ${id} in the read model (yet)`);
    }
    return { id, version: Number(document._version), state: document.state ?? null };
  }
}
