// A Decimal128 as the Java driver's Decimal128.toString prints it. For every canonical value that is the Decimal128
// specification's string form, the same as bson's Decimal128.toString; the two differ on a coefficient above
// 10^34 - 1 (not canonical, only from hand-made bytes), which bson prints as 0 and Java with all its digits.

const EXPONENT_OFFSET = 6176;

/**
 * @param {Uint8Array} bytes the 16 bytes of a BSON decimal128, little-endian
 * @returns {string}
 */
export function javaDecimal128ToString(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, 16);
  const low = view.getBigUint64(0, true);
  const high = view.getBigUint64(8, true);
  const negative = high >> 63n === 1n;
  if ((high & 0x7c00000000000000n) === 0x7c00000000000000n) {
    return 'NaN';
  }
  if ((high & 0x7800000000000000n) === 0x7800000000000000n) {
    return negative ? '-Infinity' : 'Infinity';
  }
  let exponent;
  let coefficient;
  if ((high & 0x6000000000000000n) === 0x6000000000000000n) {
    exponent = Number((high & 0x1fffe00000000000n) >> 47n) - EXPONENT_OFFSET;
    coefficient = 0n;
  } else {
    exponent = Number((high & 0x7fff800000000000n) >> 49n) - EXPONENT_OFFSET;
    coefficient = ((high & 0x1ffffffffffffn) << 64n) | low;
  }
  const significand = coefficient.toString();
  const adjusted = exponent + significand.length - 1;
  let text;
  if (exponent <= 0 && adjusted >= -6) {
    if (exponent === 0) {
      text = significand;
    } else {
      const pad = -exponent - significand.length;
      text = pad >= 0
        ? `0.${'0'.repeat(pad)}${significand}`
        : `${significand.slice(0, -pad)}.${significand.slice(-pad)}`;
    }
  } else {
    text = significand[0] + (significand.length > 1 ? `.${significand.slice(1)}` : '')
      + `E${adjusted > 0 ? '+' : ''}${adjusted}`;
  }
  return (negative ? '-' : '') + text;
}
