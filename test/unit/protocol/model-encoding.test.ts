import { strict as assert } from 'node:assert'
import {
  DEFAULT_MANIFEST, FLOAT16_MAX, INT8_BLOCK_PARAMETERS, MODEL_ENCODINGS, ManifestError, ValidationError, decodeModel, decodeModelOnce, encodeModel, encodeOwnModel, encodedPayloadBytes,
  encodeModelPayload, floatToHalf, halfToFloat, modelPayloadView, networkId, parseManifest, payloadHash
} from '../../../src/protocol/index.ts'
import { createRng } from '../../../src/model/index.ts'

/** Weights spread as a trained model's are: mostly small, a few large, some exact zeros. */
function weightsLike (count: number, seed: number): Float32Array {
  const rng = createRng(seed)
  const weights = new Float32Array(count)
  for (let i = 0; i < count; i++) weights[i] = i % 97 === 0 ? 0 : (rng.next() - 0.5) * (i % 13 === 0 ? 8 : 0.2)
  return weights
}

describe('model encodings', () => {
  it('have the sizes docs/wire.md §5 gives', () => {
    assert.equal(encodedPayloadBytes('float32', 1000), 4000)
    assert.equal(encodedPayloadBytes('float16', 1000), 2000)
    // 4 blocks of 256 (the last holds 232), one 4-byte scale each, then a byte per parameter.
    assert.equal(encodedPayloadBytes('int8', 1000), 4 * 4 + 1000)
    for (const encoding of MODEL_ENCODINGS) {
      assert.equal(encodeModel(weightsLike(1000, 1), encoding).byteLength, encodedPayloadBytes(encoding, 1000), encoding)
    }
  })

  it('decodeModelOnce decodes one payload bytes object once (shared in-process payloads), fresh bytes again, and refuses as decodeModel does', () => {
    const weights = weightsLike(1000, 5)
    const payload = encodeModel(weights, 'float32')
    const first = decodeModelOnce(payload, 'float32', 1000)
    assert.deepEqual(first, weights)
    assert.equal(decodeModelOnce(payload, 'float32', 1000), first, 'the same bytes object: the same array')
    const fresh = decodeModelOnce(payload.slice(), 'float32', 1000)
    assert.notEqual(fresh, first)
    assert.deepEqual(fresh, first)
    assert.throws(() => decodeModelOnce(payload, 'float32', 999), (err: unknown) => err instanceof ValidationError && err.code === 'wrong-size')
    const bad = payload.slice()
    new DataView(bad.buffer).setFloat32(8, NaN, true)
    assert.throws(() => decodeModelOnce(bad, 'float32', 1000), (err: unknown) => err instanceof ValidationError && err.code === 'non-finite')
    assert.throws(() => decodeModelOnce(bad, 'float32', 1000), (err: unknown) => err instanceof ValidationError && err.code === 'non-finite', 'a refused payload is refused again')
  })

  it('encodeOwnModel gives the payload and the model peers decode from it; for float32 the model itself, which decodeModelOnce then returns', () => {
    const weights = weightsLike(1000, 6)
    for (const encoding of MODEL_ENCODINGS) {
      const { payload, sent } = encodeOwnModel(weights, encoding)
      assert.deepEqual(payload, encodeModel(weights, encoding), encoding)
      assert.deepEqual(sent, decodeModel(payload, encoding, 1000), encoding)
      if (encoding === 'float32') {
        assert.equal(sent, weights, 'float32 is exact: the model itself')
        assert.equal(decodeModelOnce(payload, 'float32', 1000), weights, 'the same bytes object: the same array, not a copy')
        assert.deepEqual(decodeModelOnce(payload.slice(), 'float32', 1000), weights)
        assert.throws(() => decodeModelOnce(payload, 'float32', 999), (err: unknown) => err instanceof ValidationError && err.code === 'wrong-size')
      }
    }
  })

  it('float32 round-trips exactly', () => {
    const weights = weightsLike(1000, 2)
    assert.deepEqual(decodeModel(encodeModel(weights, 'float32'), 'float32', 1000), weights)
  })

  it('float16 round-trips within 2^-11 relative (2^-25 absolute below 2^-14) and saturates beyond 65,504', () => {
    const weights = weightsLike(5000, 3)
    weights[1] = 1e-6
    weights[2] = -3e-8
    const decoded = decodeModel(encodeModel(weights, 'float16'), 'float16', weights.length)
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i] as number
      const bound = Math.abs(w) >= 2 ** -14 ? Math.abs(w) * 2 ** -11 : 2 ** -25
      assert.ok(Math.abs((decoded[i] as number) - w) <= bound, `parameter ${i}: ${w} became ${decoded[i]}`)
    }
    assert.deepEqual(Array.from(decodeModel(encodeModel(Float32Array.of(1e6, -70000, 65504, 65519), 'float16'), 'float16', 4)), [FLOAT16_MAX, -FLOAT16_MAX, 65504, 65504])
  })

  it('float16 bits match IEEE 754 binary16 for hand-checked values', () => {
    assert.equal(floatToHalf(1), 0x3c00)
    assert.equal(floatToHalf(-2), 0xc000)
    assert.equal(floatToHalf(0.1), 0x2e66)
    assert.equal(floatToHalf(2 ** -24), 0x0001) // smallest subnormal
    assert.equal(floatToHalf(2 ** -25), 0x0000) // a tie: to even, zero
    assert.equal(floatToHalf(1 + 2 ** -11), 0x3c00) // a tie: to even
    assert.equal(floatToHalf(1 + 3 * 2 ** -11), 0x3c02) // a tie: to even, up
    assert.equal(halfToFloat(0x7bff), 65504)
    assert.equal(halfToFloat(0x0400), 2 ** -14)
  })

  it('int8 round-trips within half a block scale (max |w| / 254)', () => {
    const weights = weightsLike(3 * INT8_BLOCK_PARAMETERS + 17, 4)
    weights.fill(0, 0, INT8_BLOCK_PARAMETERS) // an all-zero block
    const decoded = decodeModel(encodeModel(weights, 'int8'), 'int8', weights.length)
    for (let b = 0; b * INT8_BLOCK_PARAMETERS < weights.length; b++) {
      const block = weights.subarray(b * INT8_BLOCK_PARAMETERS, (b + 1) * INT8_BLOCK_PARAMETERS)
      const max = block.reduce((m, w) => Math.max(m, Math.abs(w)), 0)
      for (let i = 0; i < block.length; i++) {
        const index = b * INT8_BLOCK_PARAMETERS + i
        assert.ok(Math.abs((decoded[index] as number) - (block[i] as number)) <= max / 254 * (1 + 1e-6), `parameter ${index}`)
      }
    }
    assert.ok(decoded.subarray(0, INT8_BLOCK_PARAMETERS).every(w => w === 0))
  })

  it('refuses payloads of any other size with wrong-size', () => {
    for (const encoding of MODEL_ENCODINGS) {
      const payload = encodeModel(weightsLike(300, 5), encoding)
      assert.throws(() => decodeModel(payload.subarray(1), encoding, 300), { code: 'wrong-size' }, encoding)
      assert.throws(() => decodeModel(payload, encoding, 299), { code: 'wrong-size' }, encoding)
      assert.throws(() => decodeModel(new Uint8Array(0), encoding, 300), { code: 'wrong-size' }, encoding)
    }
    // An int8 payload that drops a block's scale but keeps the values is the wrong size too.
    assert.throws(() => decodeModel(new Uint8Array(300 + 4), 'int8', 300), { code: 'wrong-size' })
  })

  it('refuses hostile float16 and int8 values with a validation code', () => {
    const half = encodeModel(weightsLike(300, 6), 'float16')
    for (const bits of [0x7c00, 0xfc00, 0x7e00, 0x7c01]) {
      const hostile = half.slice()
      new DataView(hostile.buffer).setUint16(2 * 150, bits, true)
      assert.throws(() => decodeModel(hostile, 'float16', 300), { code: 'non-finite' }, bits.toString(16))
    }
    const int8 = encodeModel(weightsLike(300, 7), 'int8')
    for (const [scale, code] of [[NaN, 'non-finite'], [Infinity, 'non-finite'], [-Infinity, 'non-finite'], [3e38, 'non-finite'], [-0.5, 'malformed']] as const) {
      const hostile = int8.slice()
      new DataView(hostile.buffer).setFloat32(4, scale, true)
      assert.throws(() => decodeModel(hostile, 'int8', 300), { code }, String(scale))
    }
    const minusOneTwentyEight = int8.slice()
    minusOneTwentyEight[8 + 299] = 0x80
    assert.throws(() => decodeModel(minusOneTwentyEight, 'int8', 300), { code: 'malformed' })
  })

  it('throws only ValidationError on random bytes of every encoding', () => {
    const rng = createRng(8)
    for (let trial = 0; trial < 2000; trial++) {
      const encoding = MODEL_ENCODINGS[trial % MODEL_ENCODINGS.length] as (typeof MODEL_ENCODINGS)[number]
      const parameters = 1 + Math.floor(rng.next() * 600)
      const size = rng.next() < 0.8 ? encodedPayloadBytes(encoding, parameters) : Math.floor(rng.next() * 3000)
      const payload = new Uint8Array(size).map(() => Math.floor(rng.next() * 256))
      try {
        const weights = decodeModel(payload, encoding, parameters)
        assert.ok(weights.every(Number.isFinite))
      } catch (err) {
        assert.ok(err instanceof ValidationError, String(err))
      }
    }
  })
})

describe('manifest model.encoding', () => {
  const withEncoding = (encoding: unknown): unknown => ({ ...DEFAULT_MANIFEST, model: { ...DEFAULT_MANIFEST.model, encoding } })

  it('is float32 by default and then left out, so the network id does not change', () => {
    const parsed = parseManifest(withEncoding('float32'))
    assert.equal(parsed.model.encoding, undefined)
    assert.equal(networkId(parsed), networkId(DEFAULT_MANIFEST))
  })

  it('keeps float16 and int8, which change the network id', () => {
    for (const encoding of ['float16', 'int8']) {
      const parsed = parseManifest(withEncoding(encoding))
      assert.equal(parsed.model.encoding, encoding)
      assert.notEqual(networkId(parsed), networkId(DEFAULT_MANIFEST))
    }
  })

  it('refuses any other value, naming the setting and what is allowed', () => {
    for (const bad of ['int4', 'FLOAT16', 16, null]) {
      assert.throws(() => parseManifest(withEncoding(bad)), (err: unknown) => err instanceof ManifestError && err.setting === 'model.encoding' &&
        err.message.includes('"float32", "float16", "int8"'))
    }
  })

  it('view a model\'s f32le payload without a copy: the bytes and hash of encodeModelPayload, for a whole array or one at an offset', () => {
    const weights = weightsLike(1001, 7)
    const inner = new Float32Array(weights.buffer, 4 * 3, 500)
    for (const w of [weights, inner]) {
      const view = modelPayloadView(w)
      assert.deepEqual(view, encodeModelPayload(w))
      assert.equal(payloadHash(view), payloadHash(encodeModelPayload(w)))
      assert.equal(view.buffer, w.buffer)
      assert.equal(view.byteOffset, w.byteOffset)
    }
  })
})
