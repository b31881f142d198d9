// Ferry's commit document (docs/concepts.md, "The commit contract"; contracts/commit.bson-schema.json), built exactly
// as Ferry's Java store builds it (dev.ferry.mongodb.store.CommitDocuments.encode) and read back as it reads it
// (CommitDocuments.decode): one document per append of 1..n events of one aggregate,
//   {_id, aggregateType, aggregateId, firstVersion, lastVersion, committedAt,
//    events: [{eventId, version, eventType, timestamp, payload: {…}, metadata: {correlationId, causationId}}]}
// Versions are int64 (bson Long), as Java writes them, though the contract also allows int32; dates are BSON dates.

import { randomUUID } from 'node:crypto';

import { Long, ObjectId } from 'bson';

import { EventTooLarge, MalformedCommit } from './errors.js';
import { javaRelaxedJson } from './keys.js';

/** The contract's longest aggregateType: it becomes part of a topic name (Kafka allows 249 characters in all). */
export const AGGREGATE_TYPE_MAX_LENGTH = 200;

/** Kafka's default record limit (and Azure Event Hubs'), less room for key, headers and batch overhead; Java's too. */
export const DEFAULT_MAX_EVENT_BYTES = 1_000_000;

const TOPIC_NAME_CHARS = /^[A-Za-z0-9._-]+$/;
// What Java's String.isBlank() calls white space (Character.isWhitespace on Java 17): the space, line and paragraph
// separators but the three no-break spaces, the ASCII controls \t \n \v \f \r and the separators U+001C..U+001F.
const JAVA_BLANK = /^[\t\n\u000B\f\r\u001C-\u001F \u1680\u2000-\u2006\u2008-\u200A\u2028\u2029\u205F\u3000]*$/;
// The contract's non-empty string: one character other than ASCII white space (its pattern [^ \t\n\x0B\f\r]).
const CONTRACT_NOT_BLANK = /[^ \t\n\u000B\f\r]/;

/**
 * The commit document of an append and the events it stores, after checking the input as Ferry's Java store checks
 * it (MongoEventStore.append, NewEvent, TopicNaming). `now`, `eventId` and `objectId` are for tests.
 * @returns {{ commit: object, events: object[] }}
 */
export function buildCommit(aggregateType, aggregateId, expectedVersion, newEvents, {
  maxEventBytes = DEFAULT_MAX_EVENT_BYTES,
  now = new Date(),
  eventId = randomUUID,
  objectId = () => new ObjectId(),
} = {}) {
  checkAggregateType(aggregateType);
  if (typeof aggregateId !== 'string') {
    throw new TypeError(`aggregateId must be a string, was ${describe(aggregateId)}`);
  }
  if (JAVA_BLANK.test(aggregateId)) {
    throw new RangeError('aggregateId must not be blank');
  }
  const expected = version(expectedVersion);
  if (!Array.isArray(newEvents) || newEvents.length === 0) {
    throw new RangeError('an append needs at least one event');
  }
  if (expected + newEvents.length > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(`versions beyond ${Number.MAX_SAFE_INTEGER} are not supported`);
  }
  const at = new Date(now.getTime()); // milliseconds, as Java truncates its clock to them
  const events = newEvents.map((newEvent, i) => {
    checkNewEvent(newEvent, i);
    const metadata = newEvent.metadata ?? {};
    const event = {
      eventId: eventId(),
      aggregateType,
      aggregateId,
      version: expected + i + 1,
      eventType: newEvent.eventType,
      timestamp: at,
      payload: newEvent.payload,
      metadata: { correlationId: metadata.correlationId ?? null, causationId: metadata.causationId ?? null },
    };
    const bytes = publishedBytes(event);
    if (bytes > maxEventBytes) {
      throw new EventTooLarge(event.eventType, aggregateId, bytes, maxEventBytes);
    }
    return event;
  });
  const commit = {
    _id: objectId(), // first, where the Java driver puts the _id it generates
    aggregateType,
    aggregateId,
    firstVersion: Long.fromNumber(events[0].version),
    lastVersion: Long.fromNumber(events[events.length - 1].version),
    committedAt: at,
    events: events.map((event) => ({
      eventId: event.eventId,
      version: Long.fromNumber(event.version),
      eventType: event.eventType,
      timestamp: event.timestamp,
      payload: event.payload,
      metadata: { correlationId: event.metadata.correlationId, causationId: event.metadata.causationId },
    })),
  };
  return { commit, events };
}

/** Fails naming the problem if `aggregateType` cannot be part of a topic name (TopicNaming and the contract). */
export function checkAggregateType(aggregateType) {
  if (typeof aggregateType !== 'string' || !TOPIC_NAME_CHARS.test(aggregateType)) {
    throw new RangeError(`aggregate type '${aggregateType}' may only contain A-Z a-z 0-9 . _ - (it becomes part of a `
      + 'topic name)');
  }
  // Java's store allows up to 249 characters less its topic prefix; the contract, which the relay checks, 200.
  if (aggregateType.length > AGGREGATE_TYPE_MAX_LENGTH) {
    throw new RangeError(`aggregate type '${aggregateType.slice(0, 60)}…' is longer than the contract's `
      + `${AGGREGATE_TYPE_MAX_LENGTH} characters`);
  }
}

/** An expected version as a number: an integer (number or bigint) of at least 0. */
function version(expectedVersion) {
  if (typeof expectedVersion === 'bigint') {
    if (expectedVersion > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new RangeError(`versions beyond ${Number.MAX_SAFE_INTEGER} are not supported`);
    }
    return version(Number(expectedVersion));
  }
  if (typeof expectedVersion !== 'number' || !Number.isInteger(expectedVersion)) {
    throw new TypeError(`expectedVersion must be an integer, was ${describe(expectedVersion)}`);
  }
  if (expectedVersion < 0) {
    throw new RangeError(`expectedVersion must be 0 (new aggregate) or more, was ${expectedVersion}`);
  }
  if (expectedVersion > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(`versions beyond ${Number.MAX_SAFE_INTEGER} are not supported`);
  }
  return expectedVersion;
}

function checkNewEvent(newEvent, i) {
  if (newEvent === null || typeof newEvent !== 'object') {
    throw new TypeError(`events[${i}] must be an object {eventType, payload, metadata?}, was ${describe(newEvent)}`);
  }
  const { eventType, payload, metadata } = newEvent;
  if (typeof eventType !== 'string') {
    throw new TypeError(`events[${i}].eventType must be a string, was ${describe(eventType)}`);
  }
  if (JAVA_BLANK.test(eventType)) {
    throw new RangeError(`events[${i}].eventType must not be blank`);
  }
  if (!isDocument(payload)) {
    throw new TypeError(`events[${i}].payload must be a document (a plain object or a Map), was ${describe(payload)}`);
  }
  if (metadata !== undefined && metadata !== null) {
    if (typeof metadata !== 'object' || Array.isArray(metadata)) {
      throw new TypeError(`events[${i}].metadata must be an object {correlationId?, causationId?}, was `
        + describe(metadata));
    }
    for (const field of ['correlationId', 'causationId']) {
      const value = metadata[field];
      if (value !== undefined && value !== null && typeof value !== 'string') {
        throw new TypeError(`events[${i}].metadata.${field} must be a string or null, was ${describe(value)}`);
      }
    }
  }
}

/** What the driver stores as a BSON document: a plain object or a Map, not an array, a Date or a BSON value. */
function isDocument(value) {
  if (value instanceof Map) {
    return true;
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)
    && !(value instanceof RegExp) && !ArrayBuffer.isView(value) && !(value instanceof ArrayBuffer)
    && value._bsontype === undefined;
}

function describe(value) {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'an array';
  }
  if (typeof value === 'string') {
    return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  }
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return `${typeof value} ${value}`;
  }
  return typeof value === 'object' ? (value.constructor?.name ?? 'an object') : typeof value;
}

/**
 * The size in bytes of an event as Ferry's relay publishes it (dev.ferry.core.wire.EventJson: the envelope with
 * the payload as the Java driver's relaxed Extended JSON), which Java's store checks against the broker's limit
 * before it appends.
 */
export function publishedBytes(event) {
  const strings = [event.eventId, event.aggregateType, event.aggregateId, event.eventType];
  let bytes = '{"eventId":,"aggregateType":,"aggregateId":,"version":,"eventType":,"timestamp":"","payload":'
    .length + ',"metadata":{"correlationId":,"causationId":}}'.length;
  for (const text of strings) {
    bytes += stringBytes(text);
  }
  bytes += String(event.version).length + isoInstant(event.timestamp).length;
  bytes += utf8Bytes(javaRelaxedJson(event.payload), false);
  bytes += stringBytes(event.metadata.correlationId) + stringBytes(event.metadata.causationId);
  return bytes;
}

/** EventJson's string literal (JsonBuffer.string): null, or quoted with " \ \n \r \t and other controls escaped. */
function stringBytes(text) {
  return text === null ? 4 : 2 + utf8Bytes(text, true);
}

/** The UTF-8 length of `text` as JsonBuffer writes it: a lone surrogate is one '?', as Java's encoder makes it. */
function utf8Bytes(text, escape) {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      if (!escape || (c >= 0x20 && c !== 0x22 && c !== 0x5c)) {
        bytes += 1;
      } else {
        bytes += c === 0x22 || c === 0x5c || c === 0x0a || c === 0x0d || c === 0x09 ? 2 : 6;
      }
    } else if (c < 0x800) {
      bytes += 2;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && text.charCodeAt(i + 1) >= 0xdc00
      && text.charCodeAt(i + 1) <= 0xdfff) {
      bytes += 4;
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      bytes += 1;
    } else {
      bytes += 3;
    }
  }
  return bytes;
}

/** Java's Instant.toString for years 1970-9999: no fraction for a whole second, else its milliseconds. */
function isoInstant(date) {
  return date.toISOString().replace(/\.000Z$/, 'Z');
}

/**
 * The events of a commit as stored, checked as Ferry's relay checks every commit (CommitDocuments.decode), with the
 * same messages; a document that is not a valid commit throws MalformedCommit.
 * @returns {object[]}
 */
export function decodeCommit(commit) {
  const type = contractString(commit.aggregateType, 'aggregateType');
  if (type.length > AGGREGATE_TYPE_MAX_LENGTH || !TOPIC_NAME_CHARS.test(type)) {
    throw new MalformedCommit(`'aggregateType' must match ^[A-Za-z0-9._-]+$ and be at most `
      + `${AGGREGATE_TYPE_MAX_LENGTH} characters (it becomes part of a topic name), was '`
      + `${type.length > 60 ? `${type.slice(0, 60)}…` : type}'`);
  }
  const id = contractString(commit.aggregateId, 'aggregateId');
  const first = storedVersion(commit.firstVersion, 'firstVersion');
  const last = storedVersion(commit.lastVersion, 'lastVersion');
  if (!(commit.committedAt instanceof Date)) {
    throw new MalformedCommit("'committedAt' must be a date");
  }
  const stored = commit.events;
  if (!Array.isArray(stored) || stored.length === 0) {
    throw new MalformedCommit("'events' must be a non-empty array");
  }
  if (last !== first + stored.length - 1) {
    throw new MalformedCommit(`'lastVersion' is ${last}, expected firstVersion + events - 1 = `
      + `${first + stored.length - 1}`);
  }
  return stored.map((event, i) => {
    if (event === null || typeof event !== 'object' || Array.isArray(event) || event._bsontype !== undefined) {
      throw new MalformedCommit(`events[${i}] must be a document`);
    }
    const eventVersion = storedVersion(event.version, 'version');
    if (eventVersion !== first + i) {
      throw new MalformedCommit(`events[${i}].version is ${eventVersion}, expected ${first + i}`);
    }
    if (!isDocument(event.payload)) {
      throw new MalformedCommit(`events[${i}].payload must be a document`);
    }
    if (!(event.timestamp instanceof Date)) {
      throw new MalformedCommit(`events[${i}].timestamp must be a date`);
    }
    const metadata = event.metadata ?? {};
    if (event.metadata !== undefined && !isDocument(event.metadata)) {
      throw new MalformedCommit(`events[${i}].metadata must be a document`);
    }
    for (const field of ['correlationId', 'causationId']) {
      const value = metadata[field];
      if (value !== undefined && value !== null && typeof value !== 'string') {
        throw new MalformedCommit(`events[${i}].metadata.${field} must be a string or null`);
      }
    }
    return {
      eventId: contractString(event.eventId, 'eventId'),
      aggregateType: type,
      aggregateId: id,
      version: eventVersion,
      eventType: contractString(event.eventType, 'eventType'),
      timestamp: event.timestamp,
      payload: event.payload,
      metadata: { correlationId: metadata.correlationId ?? null, causationId: metadata.causationId ?? null },
    };
  });
}

function contractString(value, field) {
  if (typeof value !== 'string' || !CONTRACT_NOT_BLANK.test(value)) {
    throw new MalformedCommit(`'${field}' must be a non-empty string`);
  }
  return value;
}

/**
 * A stored version as a number, however the reading client's options deliver it: a number (the driver's default for
 * an int32 and a promoted int64), a Long or an Int32 (promoteValues: false), a bigint (useBigInt64). With promoted
 * values a double holding an integer is a number too, so unlike Java's decoding this read cannot refuse it.
 */
export function storedVersion(value, field) {
  let number;
  if (typeof value === 'number' && Number.isInteger(value)) {
    number = value;
  } else if (typeof value === 'bigint') {
    number = Number(value);
  } else if (value?._bsontype === 'Long') {
    number = value.toNumber();
  } else if (value?._bsontype === 'Int32') {
    number = value.value;
  } else {
    throw new MalformedCommit(`'${field}' must be an integer`);
  }
  if (number < 1) {
    throw new MalformedCommit(`'${field}' must be at least 1, was ${number}`);
  }
  return number;
}
