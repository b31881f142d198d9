// JetStream in memory, as much of it as FerryNatsConsumer uses: durable consumers with an ack floor (policy all), a
// start sequence and a delivery sequence, each partition's messages by subject, pull consumption as an async iterator.
// A test can lose deliveries in transit (the delivery sequence skips), close the connection (iterators end, acks
// throw), and watch acknowledgements.
export class FakeJetStream {
  consumers = new Map();
  /** subject -> messages { seq, data, headers } */
  subjects = new Map();
  acks = [];
  closed = false;
  iterators = new Set();
  #seq = 0;
  #closedResolve;
  #lostDeliveries = 0;

  constructor(partitions) {
    this.description = `ferry partitions=${partitions}`;
    this.closedPromise = new Promise((resolve) => { this.#closedResolve = resolve; });
  }

  /** Publishes a Ferry event of `key` at `version` to `subject`; returns its stream sequence. */
  publish(subject, key, version) {
    this.#seq += 1;
    const value = { eventId: `e${this.#seq}`, aggregateType: 't', aggregateId: key, version, eventType: 'Changed',
      payload: { n: version } };
    const message = { seq: this.#seq, data: new TextEncoder().encode(JSON.stringify(value)), key };
    if (!this.subjects.has(subject)) {
      this.subjects.set(subject, []);
    }
    this.subjects.get(subject).push(message);
    for (const iterator of this.iterators) {
      iterator.offer(message, subject);
    }
    return this.#seq;
  }

  /** The next `count` deliveries of whichever consumer pulls next are lost in transit. */
  loseDeliveries(count) {
    this.#lostDeliveries += count;
  }

  /** The connection closes for good: pulls end, acknowledgements throw. */
  close() {
    this.closed = true;
    for (const iterator of this.iterators) {
      iterator.stop();
    }
    this.#closedResolve();
  }

  connection() {
    return { request() {}, closed: () => this.closedPromise };
  }

  manager() {
    const js = this;
    return {
      streams: { info: async () => ({ config: { description: js.description } }) },
      consumers: {
        async* list() {
          for (const [name, consumer] of js.consumers) {
            yield { name, ack_floor: { stream_seq: consumer.ackFloor, consumer_seq: consumer.ackFloorDelivery },
              config: { opt_start_seq: consumer.start ?? undefined, filter_subject: consumer.subject } };
          }
        },
        add: async (stream, config) => {
          js.consumers.set(config.durable_name, { subject: config.filter_subject, ackFloor: 0,
            start: config.opt_start_seq ?? null, delivered: 0, ackFloorDelivery: 0,
            lastDelivered: (config.opt_start_seq ?? 1) - 1 });
          return { ack_floor: { consumer_seq: 0 } };
        },
        info: async (stream, name) => {
          const consumer = js.consumers.get(name);
          if (consumer === undefined) {
            throw new Error(`consumer not found: ${name}`);
          }
          return { ack_floor: { stream_seq: consumer.ackFloor, consumer_seq: consumer.ackFloorDelivery } };
        },
        delete: async (stream, name) => { js.consumers.delete(name); },
      },
    };
  }

  client() {
    const js = this;
    return {
      consumers: {
        get: async (stream, name) => ({
          consume: async () => {
            const consumer = js.consumers.get(name);
            const iterator = new Pull(js, name, consumer);
            js.iterators.add(iterator);
            for (const message of js.subjects.get(consumer.subject) ?? []) {
              iterator.offer(message, consumer.subject);
            }
            return iterator;
          },
        }),
      },
    };
  }

  takeLostDelivery() {
    if (this.#lostDeliveries > 0) {
      this.#lostDeliveries -= 1;
      return true;
    }
    return false;
  }
}

class Pull {
  #js;
  #name;
  #consumer;
  #queue = [];
  #waiting = [];
  #stopped = false;

  constructor(js, name, consumer) {
    this.#js = js;
    this.#name = name;
    this.#consumer = consumer;
  }

  offer(message, subject) {
    const consumer = this.#consumer;
    if (this.#stopped || subject !== consumer.subject || message.seq <= consumer.lastDelivered
      || !this.#js.consumers.has(this.#name)) {
      return;
    }
    consumer.lastDelivered = message.seq;
    consumer.delivered += 1;
    if (this.#js.takeLostDelivery()) {
      return; // marked delivered by the server, never arrives
    }
    const js = this.#js;
    const name = this.#name;
    const delivery = consumer.delivered;
    this.#queue.push({
      seq: message.seq, data: message.data, info: { deliverySequence: consumer.delivered },
      headers: { keys: () => ['ce_subject'], get: () => message.key },
      ack() {
        if (js.closed) {
          throw new Error('CONNECTION_CLOSED');
        }
        js.onAck?.(message.seq);
        js.acks.push({ consumer: name, seq: message.seq });
        const current = js.consumers.get(name);
        if (current && message.seq > current.ackFloor) {
          current.ackFloor = message.seq;
          current.ackFloorDelivery = delivery;
        }
      },
    });
    this.#waiting.splice(0).forEach((wake) => wake());
  }

  getPending() {
    return this.#queue.length;
  }

  stop() {
    this.#stopped = true;
    this.#js.iterators.delete(this);
    this.#waiting.splice(0).forEach((wake) => wake());
  }

  async* [Symbol.asyncIterator]() {
    while (true) {
      while (this.#queue.length === 0 && !this.#stopped) {
        await new Promise((resolve) => this.#waiting.push(resolve));
      }
      if (this.#stopped) {
        return;
      }
      yield this.#queue.shift();
    }
  }
}
