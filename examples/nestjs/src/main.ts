import 'reflect-metadata';

import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

import { AppModule } from './app.module.js';
import { CONFIG, type Config } from './config.js';

const app = await NestFactory.create(AppModule);
// SIGTERM / SIGINT: NestJS runs the shutdown hooks (the consumer stops and commits, then the MongoClient closes), then
// lets the signal end the process.
app.enableShutdownHooks();
await app.listen(app.get<Config>(CONFIG).port, '127.0.0.1');
new Logger('main').log(`listening on ${await app.getUrl()}`);
