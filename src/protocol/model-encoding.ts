import { ValidationError } from './validation-error.ts'

/**
 * How model parameters travel (the manifest's `model.encoding`; docs/wire.md §5). The payload is
 * hashed and signed as sent; a receiver validates it (size, then every value) and dequantises it
 * to float32 before aggregation.
 *
 * - `float32`: 4 bytes a parameter, little-endian IEEE 754 binary32, exact.
 * - `float16`: 2 bytes a parameter, little-endian IEEE 754 binary16, rounded to nearest even;
 *   magnitudes beyond 65,504 saturate. Relative error at most 2^-11 from 2^-14 up, absolute at most
 *   2^-25 below.
 * - `int8`: blocks of {@link INT8_BLOCK_PARAMETERS} parameters, each with one float32 scale
 *   `s = max |w| / 127` (0 for an all-zero block); a parameter is `q · s` with `q` an int8 in
 *   [-127, 127] (`q = round(w / s)`, half away from zero). Absolute error at most `s / 2`.
 *   Layout: every block's scale (4 bytes, f32le), in block order, then every `q` (1 byte each).
 */
export const MODEL_ENCODINGS = ['float32', 'float16', 'int8'] as const

export type ModelEncoding = (typeof MODEL_ENCODINGS)[number]

/** The default `model.encoding`, left out of a parsed manifest so networks without it keep their id. */
export const DEFAULT_MODEL_ENCODING: ModelEncoding = 'float32'

/** The name of each encoding in an announcement's `encoding` field. */
export const PAYLOAD_ENCODINGS = { float32: 'f32le', float16: 'f16le', int8: 'i8-block256' } as const satisfies Record<ModelEncoding, string>

export type PayloadEncoding = (typeof PAYLOAD_ENCODINGS)[ModelEncoding]

/** Every announcement `encoding` a node understands. */
export const PAYLOAD_ENCODING_LIST: readonly PayloadEncoding[] = Object.values(PAYLOAD_ENCODINGS)

/** Parameters that share one scale in the `int8` encoding. */
export const INT8_BLOCK_PARAMETERS = 256

/** Largest magnitude of an `int8` value: symmetric, so -128 never appears. */
const INT8_MAX = 127

/** Largest finite binary16 value, where `float16` saturates. */
export const FLOAT16_MAX = 65504

/** Exact size of the payload of `parameterCount` parameters in `encoding`, bytes. */
export function encodedPayloadBytes (encoding: ModelEncoding, parameterCount: number): number {
  switch (encoding) {
    case 'float32': return parameterCount * 4
    case 'float16': return parameterCount * 2
    case 'int8': return int8Blocks(parameterCount) * 4 + parameterCount
  }
}

/** Model parameters as wire bytes in `encoding`. Non-finite weights are the caller's to refuse first. */
export function encodeModel (weights: Float32Array, encoding: ModelEncoding): Uint8Array {
  switch (encoding) {
    case 'float32': return new Uint8Array(weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength))
    case 'float16': return encodeFloat16(weights)
    case 'int8': return encodeInt8(weights)
  }
}

/**
 * Models decoded from payload bytes, by the bytes object. The in-process network (simulations)
 * hands every fetcher the publisher's one copy of a payload, so the loops and attackers of a
 * swarm decode it once instead of once each; over libp2p every fetch is a fresh buffer and this
 * never hits.
 */
const decodedPayloads = new WeakMap<Uint8Array, { readonly encoding: ModelEncoding, readonly weights: Float32Array }>()

/**
 * {@link decodeModel}, once per payload bytes object and encoding: callers given the same bytes
 * get the same array, which they must only read (rules and attacks never write to their inputs).
 */
export function decodeModelOnce (payload: Uint8Array, encoding: ModelEncoding, parameterCount: number): Float32Array {
  const known = decodedPayloads.get(payload)
  if (known !== undefined && known.encoding === encoding && known.weights.length === parameterCount) return known.weights
  const own = encoding === 'float32' ? ownFloat32Models.get(payload)?.deref() : undefined
  if (own !== undefined && own.length === parameterCount) return own
  const weights = decodeModel(payload, encoding, parameterCount)
  decodedPayloads.set(payload, { encoding, weights })
  return weights
}

/**
 * A node's own model as its peers receive it: the payload of `weights` in `encoding` and the
 * model decoded from it. For float32, exact, that model is `weights` itself, which
 * {@link decodeModelOnce} then returns for those bytes while something else holds it (an
 * in-process swarm's fetchers share the publisher's array instead of each decoding a copy);
 * the other encodings decode the payload.
 * @param weights finite (non-finite weights are the caller's to refuse first, as for encodeModel);
 *   neither the caller nor anyone given the decoded model may write to it.
 */
export function encodeOwnModel (weights: Float32Array, encoding: ModelEncoding): { readonly payload: Uint8Array, readonly sent: Float32Array } {
  const payload = encodeModel(weights, encoding)
  if (encoding !== 'float32') return { payload, sent: decodeModel(payload, encoding, weights.length) }
  ownFloat32Models.set(payload, new WeakRef(weights))
  return { payload, sent: weights }
}

/**
 * Float32 models by the payload encoded from them ({@link encodeOwnModel}), held weakly: a daemon
 * keeps its recent payloads to serve, and must not keep their models too.
 */
const ownFloat32Models = new WeakMap<Uint8Array, WeakRef<Float32Array>>()

/**
 * Untrusted payload bytes in `encoding` to float32 parameters: size, then every value. The hash is
 * the transfer's to check (a fetched payload already matches its signed hash).
 * @throws ValidationError `wrong-size` (not exactly {@link encodedPayloadBytes}), `non-finite` (a
 * float32 or float16 NaN or infinity, an int8 scale that is not finite or whose values would not be), `malformed` (a negative
 * int8 scale, or an int8 value of -128).
 */
export function decodeModel (payload: Uint8Array, encoding: ModelEncoding, parameterCount: number): Float32Array {
  const expected = encodedPayloadBytes(encoding, parameterCount)
  if (payload.byteLength !== expected) {
    throw new ValidationError('wrong-size', `${payload.byteLength} bytes, the model has ${expected} in ${encoding}`)
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength)
  const weights = new Float32Array(parameterCount)
  switch (encoding) {
    case 'float32':
      // Copy: the payload may sit at an offset that is not a multiple of 4, and must not alias a network buffer.
      new Uint8Array(weights.buffer).set(payload)
      for (let i = 0; i < parameterCount; i++) {
        if (!Number.isFinite(weights[i])) throw new ValidationError('non-finite', `parameter ${i} is ${weights[i]}`)
      }
      return weights
    case 'float16':
      {
        const table = halfTable()
        for (let i = 0; i < parameterCount; i++) {
          const half = view.getUint16(2 * i, true)
          if ((half & 0x7c00) === 0x7c00) throw new ValidationError('non-finite', `parameter ${i} is a float16 ${half & 0x3ff ? 'NaN' : 'infinity'}`)
          weights[i] = table[half] as number
        }
      }
      return weights
    case 'int8': {
      const blocks = int8Blocks(parameterCount)
      const values = blocks * 4
      for (let b = 0; b < blocks; b++) {
        const scale = view.getFloat32(4 * b, true)
        // Finite once multiplied by 127, so that every value of the block is a finite float32.
        if (!Number.isFinite(Math.fround(scale * INT8_MAX))) throw new ValidationError('non-finite', `scale of block ${b} is ${scale}`)
        if (scale < 0) throw new ValidationError('malformed', `scale of block ${b} is negative`)
        const end = Math.min(parameterCount, (b + 1) * INT8_BLOCK_PARAMETERS)
        for (let i = b * INT8_BLOCK_PARAMETERS; i < end; i++) {
          const q = view.getInt8(values + i)
          if (q < -INT8_MAX) throw new ValidationError('malformed', `parameter ${i} is the int8 value ${q}, at least -${INT8_MAX} allowed`)
          weights[i] = q * scale
        }
      }
      return weights
    }
  }
}

function int8Blocks (parameterCount: number): number {
  return Math.ceil(parameterCount / INT8_BLOCK_PARAMETERS)
}

function encodeInt8 (weights: Float32Array): Uint8Array {
  const blocks = int8Blocks(weights.length)
  const payload = new Uint8Array(encodedPayloadBytes('int8', weights.length))
  const view = new DataView(payload.buffer)
  const values = blocks * 4
  for (let b = 0; b < blocks; b++) {
    const start = b * INT8_BLOCK_PARAMETERS
    const end = Math.min(weights.length, start + INT8_BLOCK_PARAMETERS)
    let max = 0
    for (let i = start; i < end; i++) max = Math.max(max, Math.abs(weights[i] as number))
    const scale = Math.fround(max / INT8_MAX)
    view.setFloat32(4 * b, scale, true)
    if (scale === 0) continue // an all-zero (or all-subnormal) block: every value stays 0
    for (let i = start; i < end; i++) {
      const scaled = (weights[i] as number) / scale
      const q = Math.sign(scaled) * Math.round(Math.abs(scaled))
      view.setInt8(values + i, Math.max(-INT8_MAX, Math.min(INT8_MAX, q)))
    }
  }
  return payload
}

function encodeFloat16 (weights: Float32Array): Uint8Array {
  const payload = new Uint8Array(weights.length * 2)
  const view = new DataView(payload.buffer)
  for (let i = 0; i < weights.length; i++) view.setUint16(2 * i, floatToHalf(weights[i] as number), true)
  return payload
}

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)

/** binary32 to binary16 bits, rounded to nearest even; beyond the range saturates to ±65,504. */
export function floatToHalf (value: number): number {
  f32[0] = value
  const bits = u32[0] as number
  const sign = (bits >>> 16) & 0x8000
  const exponent = (bits >>> 23) & 0xff
  const mantissa = bits & 0x7fffff
  if (exponent === 0xff) return sign | (mantissa === 0 ? 0x7bff : 0x7e00) // saturate infinities; NaN stays NaN
  const halfExponent = exponent - 127 + 15
  if (halfExponent >= 0x1f) return sign | 0x7bff
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign // below half the smallest subnormal: zero
    const full = mantissa | 0x800000
    const shift = 14 - halfExponent
    return sign | roundShift(full, shift)
  }
  // Normal: keep 10 mantissa bits; a carry out of the mantissa raises the exponent (65520 and up saturate).
  const half = sign | (halfExponent << 10) | (mantissa >>> 13)
  const rounded = half + roundingIncrement(mantissa, 13)
  return (rounded & 0x7fff) >= 0x7c00 ? sign | 0x7bff : rounded
}

/** `value >> shift`, rounded to nearest even. */
function roundShift (value: number, shift: number): number {
  return (value >>> shift) + roundingIncrement(value, shift)
}

function roundingIncrement (value: number, shift: number): number {
  const rest = value & ((1 << shift) - 1)
  const halfway = 1 << (shift - 1)
  if (rest > halfway) return 1
  if (rest < halfway) return 0
  return (value >>> shift) & 1
}

let halves: Float32Array | undefined

/** Every binary16 value by its bits (256 KiB, made on first use): decoding is a lookup. */
function halfTable (): Float32Array {
  if (halves === undefined) {
    halves = new Float32Array(0x10000)
    for (let bits = 0; bits < 0x10000; bits++) halves[bits] = (bits & 0x7c00) === 0x7c00 ? NaN : halfToFloat(bits)
  }
  return halves
}

/** binary16 bits (finite) to the number they stand for. */
export function halfToFloat (half: number): number {
  const sign = half & 0x8000 ? -1 : 1
  const exponent = (half >>> 10) & 0x1f
  const mantissa = half & 0x3ff
  if (exponent === 0) return sign * mantissa * 2 ** -24
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15)
}
