import { Module } from '@nestjs/common';

import { CONFIG, configFromEnvironment } from './config.js';
import { Mongo } from './mongo.js';
import { PatientsController } from './patients.controller.js';
import { PatientsReadModel } from './patients.read-model.js';

@Module({
  controllers: [PatientsController],
  providers: [{ provide: CONFIG, useFactory: () => configFromEnvironment() }, Mongo, PatientsReadModel],
})
export class AppModule {}
