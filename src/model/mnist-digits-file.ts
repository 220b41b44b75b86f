/**
 * The mnist package's digits, coded, as one file: what the build writes into dist/model/ so that
 * a daemon's trainer reads 7.8 MB instead of parsing 21 MB of JSON (mnist-dataset.ts).
 *
 * Layout, little-endian: the magic `MTDIGIT1`; the key's length (u16) and the key (UTF-8: the
 * mnist package's version and its files' sizes, so a file made from other data is never used);
 * the image count of each of the ten digits (u32 each); the 256 values of the codes (f32 each);
 * then each digit's codes in turn, one byte a pixel.
 */

/** The coded digits: each digit's images, one code a pixel, and the value of each code. */
export interface CodedDigits {
  /** The value of each code (256 of them; codes never used are 0). */
  readonly values: Float32Array
  /** Digit d's images, 784 codes each, in the package's order. */
  readonly digits: readonly Uint8Array[]
}

/** The file's name, beside the compiled mnist-dataset.js. */
export const MNIST_DIGITS_FILE = 'mnist-digits.bin'

const MAGIC = 'MTDIGIT1'
const PIXELS = 28 * 28
const CODES = 256

/** The file's bytes for `coded`, made from the data that `key` identifies. */
export function encodeMnistDigits (coded: CodedDigits, key: string): Uint8Array {
  const keyBytes = new TextEncoder().encode(key)
  const head = MAGIC.length + 2 + keyBytes.length + 10 * 4 + CODES * 4
  const bytes = new Uint8Array(head + coded.digits.reduce((sum, d) => sum + d.length, 0))
  const view = new DataView(bytes.buffer)
  bytes.set(new TextEncoder().encode(MAGIC), 0)
  view.setUint16(MAGIC.length, keyBytes.length, true)
  bytes.set(keyBytes, MAGIC.length + 2)
  let at = MAGIC.length + 2 + keyBytes.length
  for (const digit of coded.digits) {
    view.setUint32(at, digit.length / PIXELS, true)
    at += 4
  }
  for (let code = 0; code < CODES; code++, at += 4) view.setFloat32(at, coded.values[code] ?? 0, true)
  for (const digit of coded.digits) {
    bytes.set(digit, at)
    at += digit.length
  }
  return bytes
}

/**
 * The coded digits in `bytes`; undefined when they are not such a file made from the data that
 * `key` identifies, or not whole.
 */
export function decodeMnistDigits (bytes: Uint8Array, key: string): CodedDigits | undefined {
  const keyBytes = new TextEncoder().encode(key)
  const head = MAGIC.length + 2 + keyBytes.length + 10 * 4 + CODES * 4
  if (bytes.length < head || new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC) return undefined
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (view.getUint16(MAGIC.length, true) !== keyBytes.length) return undefined
  if (!keyBytes.every((b, i) => bytes[MAGIC.length + 2 + i] === b)) return undefined
  let at = MAGIC.length + 2 + keyBytes.length
  const counts: number[] = []
  for (let d = 0; d < 10; d++, at += 4) counts.push(view.getUint32(at, true))
  const values = new Float32Array(CODES)
  for (let code = 0; code < CODES; code++, at += 4) values[code] = view.getFloat32(at, true)
  if (bytes.length !== head + counts.reduce((sum, n) => sum + n * PIXELS, 0)) return undefined
  const digits = counts.map(count => {
    const codes = bytes.subarray(at, at + count * PIXELS)
    at += count * PIXELS
    return codes
  })
  return { values, digits }
}
