/** The service's settings, from environment variables (the first two are the lines `./ferry embedded` prints). */
export interface Config {
  /** FERRY_MONGODB_URI: the MongoDB holding Ferry's event store and this service's read model. */
  readonly mongodbUri: string;
  /** FERRY_DATABASE: the database of the event store (`events`) and of the read model; default `ferry`. */
  readonly database: string;
  /** FERRY_KAFKA_BOOTSTRAP_SERVERS: Kafka brokers, comma-separated. */
  readonly brokers: string[];
  /** FERRY_TOPIC_PREFIX: Ferry's `kafka.topicPrefix`; the patients' events are on `<prefix>patient`. Default `ferry.`. */
  readonly topicPrefix: string;
  /** GROUP_ID: the consumer group, i.e. how far this read model got; the same on every instance. */
  readonly groupId: string;
  /** READ_MODEL_COLLECTION: the read model's collection; default `nestjs_patients`. */
  readonly readModelCollection: string;
  /** PORT: the HTTP port; 0 picks a free one (printed at start). Default 3000. */
  readonly port: number;
}

export const CONFIG = Symbol('Config');

export function configFromEnvironment(env: NodeJS.ProcessEnv = process.env): Config {
  const required = (name: string): string => {
    const value = env[name];
    if (!value) {
      throw new Error(`${name} is not set (see examples/nestjs/README.md)`);
    }
    return value;
  };
  return {
    mongodbUri: required('FERRY_MONGODB_URI'),
    database: env.FERRY_DATABASE ?? 'ferry',
    brokers: required('FERRY_KAFKA_BOOTSTRAP_SERVERS').split(','),
    topicPrefix: env.FERRY_TOPIC_PREFIX ?? 'ferry.',
    groupId: env.GROUP_ID ?? 'nestjs-example.patients',
    readModelCollection: env.READ_MODEL_COLLECTION ?? 'nestjs_patients',
    port: Number(env.PORT ?? 3000),
  };
}
