// Ferry's records as a consumer reads them (docs/wire-format.md), decoded the same way whatever carried them: the key,
// the UTF-8 JSON value, the headers as text. Kafka gives the key and the partition; the decoding itself is transport
// neutral (a NATS message's key is in `ce_subject`, which it reads when a record has none), for a NATS consumer to come.

/** Versions of events are integers that only go up by one per event; a value without `versionRule` is contiguous. */
export const CONTIGUOUS = 'contiguous';
/** Versions with holes (an entity change's cluster-time string, a foreign store's revision): only ever greater. */
export const INCREASING = 'increasing';

/**
 * Header values as strings: Kafka gives Buffers (an array when a name repeats: the last one counts, as Java's
 * `lastHeader`), NATS strings.
 * @param {Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined} headers
 * @returns {Record<string, string>}
 */
export function headerText(headers) {
  const text = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined && last !== null) {
      text[name] = Buffer.isBuffer(last) ? last.toString('utf8') : String(last);
    }
  }
  return text;
}

/**
 * Decodes one record of a Ferry topic.
 *
 * @param {{ topic: string, partition: number, offset: string, key: Buffer | string | null | undefined,
 *   value: Buffer | string | null | undefined, headers?: object }} delivered
 * @returns {import('./records.js').FerryRecord}
 */
export function decodeRecord({ topic, partition, offset, key, value, headers }) {
  const text = headerText(headers);
  const keyText = key === null || key === undefined ? text.ce_subject : Buffer.isBuffer(key) ? key.toString('utf8') : key;
  const at = { topic, partition, offset, headers: text };
  const empty = value === null || value === undefined || value.length === 0;
  if (empty) {
    if (text.ferry_tombstone === 'true') {
      // the delete before it did the work: a consumer has nothing to do (its version is the delete's)
      return { ...at, kind: 'tombstone', key: keyText ?? null, version: text.ce_ferryversion ?? null,
        versionRule: INCREASING };
    }
    return undecodable(at, keyText, 'a record without a value that is not a tombstone');
  }
  let parsed;
  try {
    parsed = JSON.parse(Buffer.isBuffer(value) ? value.toString('utf8') : value);
  } catch (error) {
    return undecodable(at, keyText, `the value is not JSON: ${error.message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return undecodable(at, keyText, 'the value is not a JSON object');
  }
  if (typeof parsed.eventId === 'string' && typeof parsed.aggregateId === 'string') {
    if (!Number.isSafeInteger(parsed.version) || parsed.version < 1) {
      return undecodable(at, keyText, `an event's version must be an integer of at least 1, was ${parsed.version}`);
    }
    const rule = parsed.versionRule ?? text.ce_ferryversionrule ?? CONTIGUOUS;
    if (rule !== CONTIGUOUS && rule !== INCREASING) {
      return undecodable(at, keyText, `unknown version rule ${rule}`);
    }
    return { ...at, kind: 'event', key: keyText ?? parsed.aggregateId, version: parsed.version, versionRule: rule,
      value: parsed };
  }
  if (typeof parsed.entity === 'string' && typeof parsed.id === 'string') {
    if (typeof parsed.version !== 'string' || parsed.version.length === 0) {
      return undecodable(at, keyText, `an entity change's version must be a string, was ${parsed.version}`);
    }
    // an entity's versions are strings compared byte-wise, only ever greater (docs/concepts.md, Entity collections)
    return { ...at, kind: 'entity', key: keyText ?? parsed.id, version: parsed.version, versionRule: INCREASING,
      value: parsed };
  }
  return undecodable(at, keyText, 'the value is neither a Ferry event nor an entity change');
}

function undecodable(at, key, reason) {
  return { ...at, kind: 'undecodable', key: key ?? null, version: null, versionRule: null, reason };
}
