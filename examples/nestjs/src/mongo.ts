import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Db, MongoClient } from 'mongodb';

import { CONFIG, type Config } from './config.js';

/** The service's one MongoClient: the event store and the read model are in its database. Closed last, at shutdown. */
@Injectable()
export class Mongo implements OnApplicationShutdown {
  readonly client: MongoClient;
  readonly db: Db;

  constructor(@Inject(CONFIG) config: Config) {
    this.client = new MongoClient(config.mongodbUri, { serverSelectionTimeoutMS: 10_000 });
    this.db = this.client.db(config.database);
  }

  // After every onModuleDestroy: the consumer has stopped writing by then.
  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
