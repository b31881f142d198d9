// One owned partition's durable pull consumer for one lease epoch (contracts/partition-leases.md, "Reading an owned
// partition"), as Ferry's Java PartitionConsumer: named `<group>_<type>_<n>_e<epoch>`, filtering exactly the
// partition's subject, acknowledgement policy all. A new owner starts right after the highest floor of the earlier
// epochs' consumers and deletes them, so a deposed owner's late acknowledgement reaches only its own consumer.
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';

/**
 * How long a pull request waits on the server; the client expects heartbeats at half of it, so that a pull lost with
 * a server restart is noticed and issued again within seconds.
 */
export const PULL_EXPIRES_MS = 5_000;

/**
 * `<group>_<type>_<n>_e`: every character outside A-Z a-z 0-9 _ - becomes one `_` (consumer names allow no `.`); a
 * character is a code point, as Java's regular expressions take it (the `u` flag), not a UTF-16 code unit.
 */
export function consumerBase(group, partition) {
  return `${group}_${partition.type}_${partition.number}_e`.replace(/[^A-Za-z0-9_-]/gu, '_');
}

/** The epoch a consumer of the partition was made for (its name's 1-18 digits after the base), or null if not one. */
function epochOf(base, name) {
  const suffix = name.startsWith(base) ? name.slice(base.length) : '';
  // at most 18 digits, as Java parses an epoch into a long (and beyond 2^53 a number would round)
  return /^[0-9]{1,18}$/.test(suffix) ? Number(suffix) : null;
}

/** The partition's consumers of lower epochs than `epoch`: deleted once this epoch's exists (never a newer owner's). */
export function earlierConsumers(base, epoch, names) {
  return names.filter((name) => {
    const of = epochOf(base, name);
    return of !== null && of < epoch;
  });
}

export function subjectOf(stream, partition) {
  return `${stream}.${partition.type}.${partition.number}`;
}

/**
 * Where a new owner starts, as a pure function of the consumers that exist.
 *
 * @param {{ stream: string, group: string, partition: { type: string, number: number }, epoch: number,
 *   existing: { name: string, ackFloor: number, startSequence: number | null }[] }} seen
 * @returns {{ floor: number, create: object | null, delete: string[] }} the floor (the last sequence done); the
 *   consumer to create (null: this epoch's exists already, go on with it); the lower epochs' consumers to delete
 */
export function planConsumerStart({ stream, group, partition, epoch, existing }) {
  const base = consumerBase(group, partition);
  const name = `${base}${epoch}`;
  const subject = subjectOf(stream, partition);
  // Names can collide (group orders_line + type item, group orders + type line_item): a consumer of the partition
  // also reads its subject.
  const ours = existing.filter((consumer) => consumer.filterSubject === subject && epochOf(base, consumer.name) !== null);
  let floor = 0;
  let ownFloor = null;
  for (const consumer of ours) {
    // a consumer that acknowledged nothing reports an ack floor of 0: then it is done up to its start - 1
    const done = Math.max(consumer.ackFloor, consumer.startSequence === null ? 0 : consumer.startSequence - 1);
    if (consumer.name === name) {
      ownFloor = done;
    } else {
      floor = Math.max(floor, done);
    }
  }
  const earlier = earlierConsumers(base, epoch, ours.map((consumer) => consumer.name));
  if (ownFloor !== null) {
    return { floor: ownFloor, create: null, delete: earlier };
  }
  return {
    floor,
    create: { name, filterSubject: subject, ackPolicy: 'all',
      deliverPolicy: floor === 0 ? 'all' : 'by_start_sequence', startSequence: floor === 0 ? null : floor + 1 },
    delete: earlier,
  };
}

/** The consumers of the stream as the plan needs them. */
async function existingConsumers(jsm, stream) {
  const existing = [];
  for await (const info of jsm.consumers.list(stream)) {
    existing.push({ name: info.name, filterSubject: info.config?.filter_subject ?? null,
      ackFloor: info.ack_floor?.stream_seq ?? 0, startSequence: info.config?.opt_start_seq ?? null });
  }
  return existing;
}

/**
 * Creates (or finds) the partition's consumer for `epoch`, deletes the lower epochs' ones and starts pulling.
 *
 * @returns {Promise<{ name: string, floor: number, ackFloorDelivery: number,
 *   messages: AsyncIterable<object> & { stop(): void, getPending(): number } }>} `ackFloorDelivery`: the delivery
 *   sequence of the consumer's ack floor (0 when new), where the deliveries this owner waits for go on from
 */
export async function startPartitionConsumer({ jsm, js, stream, group, partition, epoch, ackWaitMs, maxAckPending,
  batchSize }) {
  const plan = planConsumerStart({ stream, group, partition, epoch, existing: await existingConsumers(jsm, stream) });
  const base = consumerBase(group, partition);
  const name = `${base}${epoch}`;
  const info = plan.create === null ? await jsm.consumers.info(stream, name) : await jsm.consumers.add(stream, {
    durable_name: plan.create.name,
    filter_subject: plan.create.filterSubject,
    ack_policy: AckPolicy.All,
    ack_wait: ackWaitMs * 1_000_000, // nanoseconds
    max_ack_pending: maxAckPending,
    ...(plan.create.startSequence === null ? { deliver_policy: DeliverPolicy.All }
      : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: plan.create.startSequence }),
  });
  // Listed again now that this epoch's consumer exists: one a deposed owner created meanwhile goes too.
  const subject = subjectOf(stream, partition);
  const names = (await existingConsumers(jsm, stream)).filter((consumer) => consumer.filterSubject === subject)
    .map((consumer) => consumer.name);
  for (const earlier of earlierConsumers(base, epoch, names)) {
    await jsm.consumers.delete(stream, earlier);
  }
  const consumer = await js.consumers.get(stream, name);
  const messages = await consumer.consume({ max_messages: Math.min(batchSize, maxAckPending),
    expires: PULL_EXPIRES_MS });
  return { name, floor: plan.floor, ackFloorDelivery: info.ack_floor?.consumer_seq ?? 0, messages };
}

/**
 * Which deliveries of a partition's consumer are taken, in order (contracts/partition-leases.md, "Reading an owned
 * partition", step 4): JetStream numbers every delivery of a consumer (the delivery sequence, +1 per delivery,
 * redeliveries included). A delivery sequence that skips means deliveries were lost in transit (a reconnect while a
 * pull's messages were on the way): the server resends them only after ack_wait, so nothing after them may be taken —
 * handling a later record first breaks its key's order, and acknowledging it (policy all) would acknowledge the lost
 * ones. A stream sequence not above the last taken is a redelivery of a message taken already: dropped.
 */
export class DeliveryOrder {
  #nextDelivery;
  #lastTaken;
  #gapped = false;

  /**
   * @param {number} ackFloorDelivery the delivery sequence of the consumer's ack floor when this owner starts reading
   *   it (0 when new): what an earlier reader was delivered past it and did not acknowledge shows as a gap
   * @param {number} floor the stream sequence the partition is done up to
   */
  constructor(ackFloorDelivery, floor) {
    this.#nextDelivery = ackFloorDelivery + 1;
    this.#lastTaken = floor;
  }

  /** @returns {'take' | 'drop' | 'gap'} */
  next(streamSequence, deliverySequence) {
    if (this.#gapped) {
      return 'gap';
    }
    if (deliverySequence > this.#nextDelivery) {
      this.#gapped = true;
      return 'gap';
    }
    if (deliverySequence < this.#nextDelivery) {
      // numbered before: a redelivery of a message taken already, or, after a server restarted from older state,
      // a message never taken — which is a gap, since later ones were taken (and would be acknowledged past it)
      if (streamSequence <= this.#lastTaken) {
        return 'drop';
      }
      this.#gapped = true;
      return 'gap';
    }
    this.#nextDelivery = deliverySequence + 1;
    if (streamSequence <= this.#lastTaken) {
      return 'drop';
    }
    this.#lastTaken = streamSequence;
    return 'take';
  }
}
