// A double as Java 17's Double.toString prints it, which Ferry's keys of double ids are made of.
//
// JavaScript prints the shortest digits that read back to the same double; Java 17 (and every JDK before 19) does
// not always: its digit loop stops on a symmetric test around the value, always develops a second digit in the
// E-form, and prints an integral value below 2^63 from its exact integer digits. So 1e23 is "9.999999999999999E22"
// there, 2^-1074 is "4.9E-324" and 2^60 is "1.15292150460684698E18". Java 19 changed to the shortest digits, which
// would change those keys: Ferry's key format is Java 17's. This file computes that behaviour with exact BigInt
// arithmetic, including the 32- and 64-bit integer overflow of the JDK's fast paths; the Java side's
// KeyTestVectorsTest and contracts/keys.json pin the result, and it was compared with Java 17 on millions of doubles.

const EXP_SHIFT = 52n;
const SIGNIFICAND_MASK = (1n << EXP_SHIFT) - 1n;
const MAX_SMALL_BIN_EXP = 62;
const MIN_SMALL_BIN_EXP = -21;
const SMALL_POWERS_OF_5 = 27; // the JDK's tables of 5^i as longs: 5^0 .. 5^26

const view = new DataView(new ArrayBuffer(8));

/** Bits needed for 5^i (0 for i = 0), as the JDK's table has them. */
function bitsOfPowerOf5(i) {
  return i === 0 ? 0 : (5n ** BigInt(i)).toString(2).length;
}

function bitLength(n) {
  return n === 0n ? 0 : n.toString(2).length;
}

function trailingZeroBits(n) {
  let count = 0;
  while ((n & 1n) === 0n) {
    n >>= 1n;
    count++;
  }
  return count;
}

/** floor(log10(d)) as the JDK estimates it, in the same double arithmetic (it may be one too high; the loop corrects). */
function estimateDecimalExponent(fractBits, binExp) {
  view.setBigUint64(0, (1023n << EXP_SHIFT) | (fractBits & SIGNIFICAND_MASK));
  const d2 = view.getFloat64(0);
  const d = (d2 - 1.5) * 0.289529654 + 0.176091259 + binExp * 0.301029995663981;
  return Math.floor(d);
}

/**
 * The digits (an array of 0..9) and decimal exponent (value = 0.d1d2... * 10^exponent) of a positive finite double.
 */
function javaDigits(fractBits, binExp, nSignificantBits) {
  const tailZeros = trailingZeroBits(fractBits);
  const nFractBits = Number(EXP_SHIFT) + 1 - tailZeros;
  const nTinyBits = Math.max(0, nFractBits - binExp - 1);

  if (binExp <= MAX_SMALL_BIN_EXP && binExp >= MIN_SMALL_BIN_EXP && nTinyBits === 0
      && nFractBits + bitsOfPowerOf5(nTinyBits) < 64) {
    // an integer below 2^63: its exact digits, the last ones rounded half up where they are below the precision
    const insignificant = binExp > nSignificantBits ? insignificantDigitsOfPow2(binExp - nSignificantBits - 1) : 0;
    let value = binExp >= 52 ? fractBits << BigInt(binExp - 52) : fractBits >> BigInt(52 - binExp);
    if (insignificant > 0) {
      const pow10 = 10n ** BigInt(insignificant);
      const residue = value % pow10;
      value /= pow10;
      if (residue >= pow10 >> 1n) {
        value++;
      }
    }
    const text = value.toString();
    const significant = text.replace(/0+$/, '');
    return { digits: [...significant].map(Number), exponent: text.length + insignificant };
  }

  let decExp = estimateDecimalExponent(fractBits, binExp);
  const b5 = Math.max(0, -decExp);
  let b2 = b5 + nTinyBits + binExp;
  const s5 = Math.max(0, decExp);
  let s2 = s5 + nTinyBits;
  const m5 = b5;
  let m2 = b2 - nSignificantBits;

  const fraction = fractBits >> BigInt(tailZeros);
  b2 -= nFractBits - 1;
  const common2 = Math.min(b2, s2);
  b2 -= common2;
  s2 -= common2;
  m2 -= common2;
  if (nFractBits === 1) {
    m2 -= 1; // a power of two: the JDK halves the margin (the next lower double is half as far)
  }
  if (m2 < 0) {
    b2 -= m2;
    s2 -= m2;
    m2 = 0;
  }

  const bBits = nFractBits + b2 + (b5 < SMALL_POWERS_OF_5 ? bitsOfPowerOf5(b5) : b5 * 3);
  const tenSBits = s2 + 1 + (s5 + 1 < SMALL_POWERS_OF_5 ? bitsOfPowerOf5(s5 + 1) : (s5 + 1) * 3);
  const digits = [];
  let low;
  let high;
  let lowDigitDifference;

  if (bBits < 64 && tenSBits < 64) {
    // the JDK's int (or long) path: the same loop, with the arithmetic of that width (overflow included)
    const width = bBits < 32 && tenSBits < 32 ? 32 : 64;
    const wrap = (n) => BigInt.asIntN(width, n);
    let b = wrap(wrap(fraction * 5n ** BigInt(b5)) << BigInt(b2));
    const s = wrap(5n ** BigInt(s5) << BigInt(s2));
    let m = wrap(5n ** BigInt(m5) << BigInt(m2));
    const tens = wrap(s * 10n);

    let q = b / s;
    b = wrap(10n * (b % s));
    m = wrap(m * 10n);
    low = b < m;
    high = wrap(b + m) > tens;
    if (q === 0n && !high) {
      decExp--;
    } else {
      digits.push(Number(q));
    }
    if (decExp < -3 || decExp >= 8) {
      high = low = false; // the E-form always gets a second digit
    }
    while (!low && !high) {
      q = b / s;
      b = wrap(10n * (b % s));
      m = wrap(m * 10n);
      if (m > 0n) {
        low = b < m;
        high = wrap(b + m) > tens;
      } else {
        low = high = true; // m overflowed
      }
      digits.push(Number(q));
    }
    lowDigitDifference = wrap(wrap(b << 1n) - tens);
  } else {
    // the JDK's big-integer path (its normalising shift scales B, S and M alike and changes nothing here)
    const s = 5n ** BigInt(s5) << BigInt(s2);
    let b = fraction * 5n ** BigInt(b5) << BigInt(b2);
    let m = 5n ** BigInt(m5 + 1) << BigInt(m2 + 1); // 10 M
    const tens = 5n ** BigInt(s5 + 1) << BigInt(s2 + 1); // 10 S

    let q = b / s;
    b = 10n * (b % s);
    low = b < m;
    high = b + m >= tens;
    if (q === 0n && !high) {
      decExp--;
    } else {
      digits.push(Number(q));
    }
    if (decExp < -3 || decExp >= 8) {
      high = low = false;
    }
    while (!low && !high) {
      q = b / s;
      b = 10n * (b % s);
      m *= 10n;
      low = b < m;
      high = b + m >= tens;
      digits.push(Number(q));
    }
    lowDigitDifference = high && low ? (b << 1n) - tens : 0n;
  }

  let exponent = decExp + 1;
  if (high) {
    const odd = (digits[digits.length - 1] & 1) !== 0;
    if (!low || lowDigitDifference > 0n || (lowDigitDifference === 0n && odd)) {
      exponent += roundUp(digits);
    }
  }
  return { digits, exponent };
}

/** floor(log10(2^p2)): decimal digits of an integer below the double's precision. */
function insignificantDigitsOfPow2(p2) {
  return p2 > 1 ? (2n ** BigInt(p2)).toString().length - 1 : 0;
}

/** Adds one to the last digit; a carry out of the first makes it 1 (the digit count stays). Returns the exponent's change. */
function roundUp(digits) {
  let i = digits.length - 1;
  while (digits[i] === 9 && i > 0) {
    digits[i] = 0;
    i--;
  }
  if (digits[i] === 9) {
    digits[0] = 1;
    return 1;
  }
  digits[i]++;
  return 0;
}

/** Java 17's {@code Double.toString(x)}. */
export function javaDoubleToString(x) {
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  let binExp = Number((bits >> EXP_SHIFT) & 0x7ffn);
  let fractBits = bits & SIGNIFICAND_MASK;
  if (binExp === 0x7ff) {
    return fractBits === 0n ? (negative ? '-Infinity' : 'Infinity') : 'NaN';
  }
  let nSignificantBits;
  if (binExp === 0) {
    if (fractBits === 0n) {
      return negative ? '-0.0' : '0.0';
    }
    const length = bitLength(fractBits);
    const shift = Number(EXP_SHIFT) + 1 - length;
    fractBits <<= BigInt(shift);
    binExp = 1 - shift;
    nSignificantBits = length;
  } else {
    fractBits |= 1n << EXP_SHIFT;
    nSignificantBits = Number(EXP_SHIFT) + 1;
  }
  const { digits, exponent } = javaDigits(fractBits, binExp - 1023, nSignificantBits);
  return (negative ? '-' : '') + layout(digits, exponent);
}

/** Plain between 10^-3 and 10^7, else d.dddE±n; always a digit after the point. */
function layout(digits, exponent) {
  const text = digits.join('');
  if (exponent > 0 && exponent < 8) {
    if (digits.length <= exponent) {
      return `${text}${'0'.repeat(exponent - digits.length)}.0`;
    }
    return `${text.slice(0, exponent)}.${text.slice(exponent)}`;
  }
  if (exponent <= 0 && exponent > -3) {
    return `0.${'0'.repeat(-exponent)}${text}`;
  }
  return `${text[0]}.${digits.length > 1 ? text.slice(1) : '0'}E${exponent - 1}`;
}
