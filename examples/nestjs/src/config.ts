import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';

/** Where Ferry publishes the patients' events: Kafka topics or a NATS JetStream stream. */
export type Transport = 'kafka' | 'nats';

/** The service's settings, from environment variables (the first ones are the lines `./ferry embedded` prints). */
export interface Config {
  /** FERRY_MONGODB_URI: the MongoDB holding Ferry's event store and this service's read model. */
  readonly mongodbUri: string;
  /** FERRY_DATABASE: the database of the event store (`events`), of Ferry's leases and of the read model; default `ferry`. */
  readonly database: string;
  /** FERRY_TRANSPORT: `kafka` (default) or `nats`, as Ferry's `transport`. */
  readonly transport: Transport;
  /** FERRY_KAFKA_BOOTSTRAP_SERVERS: Kafka brokers, comma-separated (Kafka only). */
  readonly brokers: string[];
  /** FERRY_TOPIC_PREFIX: Ferry's `kafka.topicPrefix`; the patients' events are on `<prefix>patient`. Default `ferry.`. */
  readonly topicPrefix: string;
  /** FERRY_NATS_SERVERS: NATS servers, comma-separated (NATS only). */
  readonly natsServers: string[];
  /** FERRY_NATS_STREAM: Ferry's `nats.stream`; the patients' events are on `<stream>.patient.<n>`. Default `ferry`. */
  readonly natsStream: string;
  /** GROUP_ID: the consumer group (Kafka) or lease group (NATS): the read model; the same on every instance. */
  readonly groupId: string;
  /** INSTANCE_ID (NATS): unique among the live instances; default the host name and a random suffix. */
  readonly instanceId: string;
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
  const transport = env.FERRY_TRANSPORT ?? 'kafka';
  if (transport !== 'kafka' && transport !== 'nats') {
    throw new Error(`FERRY_TRANSPORT must be kafka or nats, was ${transport}`);
  }
  return {
    mongodbUri: required('FERRY_MONGODB_URI'),
    database: env.FERRY_DATABASE ?? 'ferry',
    transport,
    brokers: transport === 'kafka' ? required('FERRY_KAFKA_BOOTSTRAP_SERVERS').split(',') : [],
    topicPrefix: env.FERRY_TOPIC_PREFIX ?? 'ferry.',
    natsServers: transport === 'nats' ? required('FERRY_NATS_SERVERS').split(',') : [],
    natsStream: env.FERRY_NATS_STREAM ?? 'ferry',
    groupId: env.GROUP_ID ?? 'nestjs-example.patients',
    instanceId: env.INSTANCE_ID ?? `${hostname()}-${randomBytes(3).toString('hex')}`,
    readModelCollection: env.READ_MODEL_COLLECTION ?? 'nestjs_patients',
    port: Number(env.PORT ?? 3000),
  };
}
