// Record keys and partitions exactly as Ferry computes them (contracts/keys.md; test vectors in contracts/keys.json).
//
// An entity's key is its _id as a string: an ObjectId is its 24 lowercase hex digits, a string is itself, anything
// else is its canonical Extended JSON exactly as the MongoDB Java driver's JsonWriter prints it on Java 17 — a space
// after each colon and comma, Java's Double.toString digits, Java's escapes. bson's EJSON.stringify prints another
// text, so this module prints it itself: it serializes the id with bson (so a JavaScript value becomes the BSON type
// the Node driver would store) and writes the Java form from those bytes.

import { serialize } from 'bson';

import { javaDecimal128ToString } from './java-decimal128.js';
import { javaDoubleToString } from './java-double.js';
import { javaKeepsInJson } from './java17-chars.js';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

// ignoreBOM: a string may start with U+FEFF, and Java keeps it
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * The key of an entity whose `_id` is `id`: a value as the Node driver takes it (an ObjectId, a string, an Int32,
 * Long, Double, Decimal128, Date, Timestamp, Binary/UUID, a document as a plain object or a Map, MinKey, MaxKey,
 * null, ...). A JavaScript number is stored as the driver stores it: an int32 if it is an integer in int32 range
 * (not -0), else a double; a bigint as an int64.
 * @param {unknown} id
 * @returns {string}
 */
export function entityKey(id) {
  if (id === undefined) {
    throw new TypeError('an _id cannot be undefined (the driver would make an ObjectId for it)');
  }
  refuseInvalidDates(id);
  const bytes = serialize({ _id: id });
  const type = bytes[4];
  const valueAt = 4 + 1 + 4; // document length, type, "_id\0"
  if (type === 0x07) {
    return hex(bytes, valueAt, 12);
  }
  if (type === 0x02) {
    return readString(bytes, valueAt).text;
  }
  if (type === 0x04 || type === 0x0b || type === 0x06) {
    throw new TypeError('MongoDB refuses arrays, regular expressions and undefined as an _id');
  }
  return new JavaJsonWriter(bytes).value(type, valueAt).text;
}

/** bson writes an invalid Date (what it reads for a date beyond ±8.64e15 ms) as 1970-01-01: that key would be wrong. */
function refuseInvalidDates(value, depth = 0) {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) {
      throw new RangeError('an invalid Date (a BSON date beyond what a JavaScript Date holds?) has no key');
    }
  } else if (depth < 100 && value !== null && typeof value === 'object' && value._bsontype === undefined) {
    const values = value instanceof Map ? value.values() : Object.values(value);
    for (const field of values) {
      refuseInvalidDates(field, depth + 1);
    }
  }
}

/**
 * The partition of a record with this key among `partitions`, as Kafka's default partitioner and Ferry choose it:
 * `(murmur2(utf8(key)) & 0x7fffffff) % partitions`. For an event, the key is the aggregate id.
 * @param {string} key
 * @param {number} partitions
 * @returns {number}
 */
export function partitionOf(key, partitions) {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new RangeError(`partitions must be an integer of at least 1, was ${partitions}`);
  }
  return (murmur2(keyBytes(key)) & 0x7fffffff) % partitions;
}

/**
 * The bytes of a key on the wire (Kafka's record key): its UTF-8 encoding.
 * @param {string} key
 * @returns {Uint8Array}
 */
export function keyBytes(key) {
  if (typeof key !== 'string') {
    throw new TypeError(`a key is a string, was ${typeof key}`);
  }
  return new TextEncoder().encode(key);
}

/**
 * Kafka's 32-bit murmur2 (org.apache.kafka.common.utils.Utils.murmur2, seed 0x9747b28c), as a signed 32-bit integer.
 * @param {Uint8Array} data
 * @returns {number}
 */
export function murmur2(data) {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const blocks = length >>> 2;
  for (let i = 0; i < blocks; i++) {
    const at = i * 4;
    let k = data[at] | (data[at + 1] << 8) | (data[at + 2] << 16) | (data[at + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  const tail = length & ~3;
  switch (length & 3) {
    case 3:
      h ^= data[tail + 2] << 16;
    // falls through
    case 2:
      h ^= data[tail + 1] << 8;
    // falls through
    case 1:
      h ^= data[tail];
      h = Math.imul(h, M);
      break;
    default:
      break;
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * A document as the Java driver's JsonWriter writes it in JsonMode.RELAXED (how Ferry's relay renders an event's
 * payload, RelaxedJson): numbers as numbers, doubles with Java's digits, dates of years 1970-9999 as ISO strings.
 * @param {object} document a document as the Node driver takes it
 * @returns {string}
 */
export function javaRelaxedJson(document) {
  refuseInvalidDates(document);
  return new JavaJsonWriter(serialize(document), true).document(0).text;
}

/** The last millisecond the Java driver's relaxed writer prints as an ISO date (9999-12-31T23:59:59.999Z). */
const LAST_MS_OF_YEAR_9999 = 253402300799999n;

/**
 * Writes BSON values as the Java driver's JsonWriter does in JsonMode.EXTENDED (canonical Extended JSON), or, if
 * `relaxed`, in JsonMode.RELAXED.
 */
class JavaJsonWriter {
  constructor(bytes, relaxed = false) {
    this.relaxed = relaxed;
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The value of this BSON type at `at`: its text and where the next element starts. */
  value(type, at) {
    const view = this.view;
    switch (type) {
      case 0x01:
        if (this.relaxed && Number.isFinite(view.getFloat64(at, true))) {
          return { text: extendedDouble(view.getFloat64(at, true)), end: at + 8 };
        }
        return { text: wrapper('$numberDouble', quote(extendedDouble(view.getFloat64(at, true)))), end: at + 8 };
      case 0x02: {
        const { text, end } = readString(this.bytes, at);
        return { text: quote(text), end };
      }
      case 0x03:
        return this.document(at);
      case 0x04:
        return this.array(at);
      case 0x05: {
        let length = view.getInt32(at, true);
        const subType = this.bytes[at + 4];
        let dataAt = at + 5;
        if (subType === 0x02) {
          // the old binary subtype repeats its length inside; Java's reader drops it
          dataAt += 4;
          length -= 4;
        }
        const base64 = Buffer.from(this.bytes.subarray(dataAt, dataAt + length)).toString('base64');
        const subTypeHex = subType.toString(16).toUpperCase().padStart(2, '0');
        return {
          text: wrapper('$binary', `{"base64": ${quote(base64)}, "subType": ${quote(subTypeHex)}}`),
          end: dataAt + length,
        };
      }
      case 0x06:
        return { text: wrapper('$undefined', 'true'), end: at };
      case 0x07:
        return { text: wrapper('$oid', quote(hex(this.bytes, at, 12))), end: at + 12 };
      case 0x08:
        return { text: this.bytes[at] !== 0 ? 'true' : 'false', end: at + 1 };
      case 0x09:
        if (this.relaxed && view.getBigInt64(at, true) >= 0n && view.getBigInt64(at, true) <= LAST_MS_OF_YEAR_9999) {
          return { text: wrapper('$date', quote(javaIsoDate(Number(view.getBigInt64(at, true))))), end: at + 8 };
        }
        return {
          text: wrapper('$date', wrapper('$numberLong', quote(view.getBigInt64(at, true).toString()))),
          end: at + 8,
        };
      case 0x0a:
        return { text: 'null', end: at };
      case 0x0b: {
        const pattern = readCString(this.bytes, at);
        const options = readCString(this.bytes, pattern.end);
        // Java's BsonRegularExpression sorts the option letters
        const sorted = [...options.text].sort().join('');
        return {
          text: wrapper('$regularExpression', `{"pattern": ${quote(pattern.text)}, "options": ${quote(sorted)}}`),
          end: options.end,
        };
      }
      case 0x0c: {
        const namespace = readString(this.bytes, at);
        const id = hex(this.bytes, namespace.end, 12);
        return {
          text: wrapper('$dbPointer', `{"$ref": ${quote(namespace.text)}, "$id": ${wrapper('$oid', quote(id))}}`),
          end: namespace.end + 12,
        };
      }
      case 0x0d: {
        const code = readString(this.bytes, at);
        return { text: wrapper('$code', quote(code.text)), end: code.end };
      }
      case 0x0e: {
        const symbol = readString(this.bytes, at);
        return { text: wrapper('$symbol', quote(symbol.text)), end: symbol.end };
      }
      case 0x0f: {
        const code = readString(this.bytes, at + 4);
        const scope = this.document(code.end);
        return { text: `{"$code": ${quote(code.text)}, "$scope": ${scope.text}}`, end: scope.end };
      }
      case 0x10:
        if (this.relaxed) {
          return { text: String(view.getInt32(at, true)), end: at + 4 };
        }
        return { text: wrapper('$numberInt', quote(String(view.getInt32(at, true)))), end: at + 4 };
      case 0x11: {
        const increment = view.getUint32(at, true);
        const time = view.getUint32(at + 4, true);
        return { text: wrapper('$timestamp', `{"t": ${time}, "i": ${increment}}`), end: at + 8 };
      }
      case 0x12:
        if (this.relaxed) {
          return { text: view.getBigInt64(at, true).toString(), end: at + 8 };
        }
        return { text: wrapper('$numberLong', quote(view.getBigInt64(at, true).toString())), end: at + 8 };
      case 0x13: {
        const decimal = javaDecimal128ToString(this.bytes.subarray(at, at + 16));
        return { text: wrapper('$numberDecimal', quote(decimal)), end: at + 16 };
      }
      case 0xff:
        return { text: wrapper('$minKey', '1'), end: at };
      case 0x7f:
        return { text: wrapper('$maxKey', '1'), end: at };
      default:
        throw new TypeError(`unknown BSON type 0x${type.toString(16)}`);
    }
  }

  document(at) {
    const fields = [];
    const end = this.elements(at, (name, value) => fields.push(`${quote(name)}: ${value}`));
    return { text: `{${fields.join(', ')}}`, end };
  }

  array(at) {
    const items = [];
    const end = this.elements(at, (name, value) => items.push(value));
    return { text: `[${items.join(', ')}]`, end };
  }

  elements(at, each) {
    const end = at + this.view.getInt32(at, true);
    let next = at + 4;
    while (this.bytes[next] !== 0x00) {
      const type = this.bytes[next];
      const name = readCString(this.bytes, next + 1);
      const value = this.value(type, name.end);
      each(name.text, value.text);
      next = value.end;
    }
    return end;
  }
}

function wrapper(name, valueText) {
  return `{"${name}": ${valueText}}`;
}

/** The Java driver's JsonDoubleHelper: Double.toString with a + on a positive exponent (1.0E+21). */
function extendedDouble(value) {
  return javaDoubleToString(value).replace(/E(\d)/, 'E+$1');
}

/**
 * A date as Java's DateTimeFormatter.ISO_OFFSET_DATE_TIME writes it in UTC (the Java driver's relaxed $date): the
 * fraction of a second with its trailing zeros dropped, none at all for a whole second.
 */
function javaIsoDate(epochMillis) {
  return new Date(epochMillis).toISOString().replace(/\.?0*Z$/, 'Z');
}

/** A JSON string as the Java driver writes it: its short escapes, \uXXXX (lower case) for what Java does not keep. */
function quote(text) {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    switch (c) {
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += '\\\\';
        break;
      case 0x08:
        out += '\\b';
        break;
      case 0x0c:
        out += '\\f';
        break;
      case 0x0a:
        out += '\\n';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x09:
        out += '\\t';
        break;
      default:
        out += javaKeepsInJson(c) ? text[i] : `\\u${c.toString(16).padStart(4, '0')}`;
    }
  }
  return `${out}"`;
}

function readString(bytes, at) {
  const length = new DataView(bytes.buffer, bytes.byteOffset + at, 4).getInt32(0, true);
  return { text: utf8.decode(bytes.subarray(at + 4, at + 4 + length - 1)), end: at + 4 + length };
}

function readCString(bytes, at) {
  let end = at;
  while (bytes[end] !== 0x00) {
    end++;
  }
  return { text: utf8.decode(bytes.subarray(at, end)), end: end + 1 };
}

function hex(bytes, at, length) {
  return Buffer.from(bytes.subarray(at, at + length)).toString('hex');
}
