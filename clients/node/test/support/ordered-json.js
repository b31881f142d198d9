// Reads JSON keeping every object's field order, which JSON.parse does not: a JavaScript object lists integer-like
// names ("2", "10") first, in numeric order. An _id document's field order is part of the id (and of its key), so the
// test vectors' ids are read with this: objects become Maps, then Extended JSON wrappers become bson values.

import { EJSON } from 'bson';

/** The value of a JSON text, objects as Maps in the order written. */
export function parseInOrder(text) {
  let at = 0;

  const skipSpace = () => {
    while (/\s/.test(text[at] ?? '')) {
      at++;
    }
  };

  const expect = (char) => {
    if (text[at] !== char) {
      throw new SyntaxError(`expected ${char} at ${at}, found ${text[at]}`);
    }
    at++;
  };

  const string = () => {
    const start = at;
    at++;
    while (text[at] !== '"') {
      at += text[at] === '\\' ? 2 : 1;
    }
    at++;
    return JSON.parse(text.slice(start, at));
  };

  const value = () => {
    skipSpace();
    const char = text[at];
    if (char === '{') {
      at++;
      const map = new Map();
      skipSpace();
      if (text[at] === '}') {
        at++;
        return map;
      }
      for (;;) {
        skipSpace();
        const name = string();
        skipSpace();
        expect(':');
        map.set(name, value());
        skipSpace();
        if (text[at] === ',') {
          at++;
        } else {
          expect('}');
          return map;
        }
      }
    }
    if (char === '[') {
      at++;
      const array = [];
      skipSpace();
      if (text[at] === ']') {
        at++;
        return array;
      }
      for (;;) {
        array.push(value());
        skipSpace();
        if (text[at] === ',') {
          at++;
        } else {
          expect(']');
          return array;
        }
      }
    }
    if (char === '"') {
      return string();
    }
    const literal = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(at))[0];
    at += literal.length;
    return JSON.parse(literal);
  };

  const result = value();
  skipSpace();
  if (at !== text.length) {
    throw new SyntaxError(`unexpected text at ${at}`);
  }
  return result;
}

/**
 * An id in canonical Extended JSON (as parseInOrder read it) as the bson value it stands for: a wrapper such as
 * {"$numberInt": "42"} through EJSON.deserialize with relaxed: false; a document as a Map, in order (MongoDB refuses
 * $-prefixed field names in an _id, so a document is never mistaken for a wrapper).
 */
export function idFromExtendedJson(value) {
  if (value instanceof Map) {
    const names = [...value.keys()];
    if (names.length > 0 && names.every((name) => name.startsWith('$'))) {
      return EJSON.deserialize(toPlain(value), { relaxed: false });
    }
    return new Map([...value].map(([name, field]) => [name, idFromExtendedJson(field)]));
  }
  if (Array.isArray(value)) {
    return value.map(idFromExtendedJson);
  }
  return value;
}

/** A plain object again (inside a wrapper, where order does not matter: {"t", "i"}, {"base64", "subType"}, ...). */
export function toPlain(value) {
  if (value instanceof Map) {
    return Object.fromEntries([...value].map(([name, field]) => [name, toPlain(field)]));
  }
  if (Array.isArray(value)) {
    return value.map(toPlain);
  }
  return value;
}
