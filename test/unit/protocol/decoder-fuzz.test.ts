import assert from 'node:assert/strict'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  MAX_ANNOUNCEMENT_BYTES, MODEL_REQUEST_BYTES, VALIDATION_CODES, ValidationError, decodeAnnouncement, decodeModelPayload,
  decodeModelRequest, encodeAnnouncement, encodeModelPayload, payloadHash, signAnnouncement
} from '../../../src/protocol/index.ts'
import type { UpdateAnnouncement } from '../../../src/protocol/index.ts'
import { announcementFields, testKey } from './fixtures.ts'

/** Seeded xorshift32, so a failing input can be reproduced from the seed and the index. */
class Random {
  #x: number
  constructor (seed: number) { this.#x = seed >>> 0 || 1 }
  next (): number {
    let x = this.#x
    x ^= x << 13; x >>>= 0
    x ^= x >>> 17
    x ^= x << 5; x >>>= 0
    this.#x = x
    return x / 2 ** 32
  }

  int (n: number): number { return Math.floor(this.next() * n) }
  pick<T> (items: readonly T[]): T { return items[this.int(items.length)] as T }
  bytes (n: number): Uint8Array { return Uint8Array.from({ length: n }, () => this.int(256)) }
}

const FUZZ_SEED = 20261121
const ANNOUNCEMENT_INPUTS = 60_000
const PAYLOAD_INPUTS = 30_000
const REQUEST_INPUTS = 10_000

/** Texts that break naive parsers: non-finite numbers, huge and negative values, types, nesting. */
const WEIRD_JSON_VALUES = [
  'NaN', 'Infinity', '-Infinity', '1e999', '-1e999', '-0', '0.5', '-1', '1e21', '9007199254740993', '2e40', '"NaN"', '"1"',
  'null', 'true', 'false', '[]', '{}', '[1,2,3]', '{"a":{"b":{"c":[]}}}', '""', '"' + 'x'.repeat(3000) + '"', '"\\u0000"',
  '"\\ud800"', '"é"', '"12D3KooW"', '"QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N"', '{"__proto__":{"polluted":1}}',
  '"' + '='.repeat(8) + '"', '"AAAA"', '"' + 'A'.repeat(1024) + '"', '[' .repeat(500) + ']'.repeat(500)
]

function isTypedRefusal (err: unknown): boolean {
  return err instanceof ValidationError && err.code in VALIDATION_CODES
}

describe('decoder fuzzing (seeded)', function () {
  this.timeout(180_000)

  let valid: UpdateAnnouncement
  let validBytes: Uint8Array
  let otherKeyPeerIds: string[]

  before(async () => {
    const key = await testKey(3)
    const secp = privateKeyFromRaw(new Uint8Array(32).fill(4))
    otherKeyPeerIds = [peerIdFromPrivateKey(secp).toString(), 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N',
      'bafzaajaiaejcbzdibmxyzdjbb2hn2frpstyv3ka3lbisgwx6c3yxnpgpgslw6fnuq', '12D3KooW', '1'.repeat(52), '']
    valid = await signAnnouncement(announcementFields(key, 3), key)
    validBytes = encodeAnnouncement(valid)
  })

  /** One generated announcement input; `kind` only helps to tell failures apart. */
  function announcementInput (random: Random): { kind: string, bytes: Uint8Array } {
    const text = new TextDecoder().decode(validBytes)
    switch (random.int(8)) {
      case 0: return { kind: 'random bytes', bytes: random.bytes(random.int(MAX_ANNOUNCEMENT_BYTES + 200)) }
      case 1: return { kind: 'truncated', bytes: validBytes.subarray(0, random.int(validBytes.byteLength)) }
      case 2: {
        const bytes = validBytes.slice()
        for (let flips = 1 + random.int(4); flips > 0; flips--) bytes[random.int(bytes.length)] = random.int(256)
        return { kind: 'bit flips', bytes }
      }
      case 3: {
        // One field's value replaced by a weird JSON text.
        const fields = Object.keys(valid)
        const field = random.pick(fields)
        const value = JSON.stringify((valid as unknown as Record<string, unknown>)[field])
        return { kind: `field ${field}`, bytes: new TextEncoder().encode(text.replace(`"${field}":${value}`, `"${field}":${random.pick(WEIRD_JSON_VALUES)}`)) }
      }
      case 4: {
        // Fields dropped or added, a different shape altogether.
        const o: Record<string, unknown> = { ...valid }
        if (random.int(2) === 0) delete o[random.pick(Object.keys(o))]
        else o[random.pick(['extra', '__proto__', 'constructor', 'toString', ''])] = random.int(10)
        return { kind: 'shape', bytes: new TextEncoder().encode(JSON.stringify(o)) }
      }
      case 5: {
        // Another key type's or a broken peer id, with a random signature of random length.
        const o = { ...valid, peerId: random.pick(otherKeyPeerIds), signature: Buffer.from(random.bytes(random.int(200))).toString('base64') }
        return { kind: 'peer id and signature', bytes: new TextEncoder().encode(JSON.stringify(o)) }
      }
      case 6: {
        // A valid-looking message that was never signed this way: any single field changed.
        const o = { ...valid, round: random.int(1000), loss: random.next() }
        return { kind: 'replayed signature', bytes: new TextEncoder().encode(JSON.stringify(o)) }
      }
      default:
        return { kind: 'random JSON', bytes: new TextEncoder().encode(random.pick(WEIRD_JSON_VALUES)) }
    }
  }

  it(`decodeAnnouncement throws only ValidationError on ${ANNOUNCEMENT_INPUTS.toLocaleString('en')} generated inputs`, async () => {
    const random = new Random(FUZZ_SEED)
    const codes = new Map<string, number>()
    let accepted = 0
    for (let i = 0; i < ANNOUNCEMENT_INPUTS; i++) {
      const { kind, bytes } = announcementInput(random)
      try {
        const a = await decodeAnnouncement(bytes)
        // Accepted only if it is, field for field, the validly signed announcement.
        assert.deepEqual({ ...a }, { ...valid }, `input ${i} (${kind}) decoded to something never signed`)
        accepted++
      } catch (err) {
        assert.ok(isTypedRefusal(err), `input ${i} (${kind}) threw ${String(err)}`)
        const code = (err as ValidationError).code
        codes.set(code, (codes.get(code) ?? 0) + 1)
      }
    }
    console.log(`      ${accepted} accepted, refused by code: ${[...codes].map(([c, n]) => `${c} ${n}`).join(', ')}`)
    assert.ok((codes.get('malformed') ?? 0) > 0 && (codes.get('bad-signature') ?? 0) > 0 && (codes.get('too-large') ?? 0) > 0)
  })

  it(`decodeModelPayload throws only ValidationError on ${PAYLOAD_INPUTS.toLocaleString('en')} generated inputs`, () => {
    const random = new Random(FUZZ_SEED + 1)
    const specials = [NaN, Infinity, -Infinity, -0, 3.4e38, 1e-45]
    let accepted = 0
    for (let i = 0; i < PAYLOAD_INPUTS; i++) {
      const parameters = 1 + random.int(64)
      let payload: Uint8Array
      let hash: string
      switch (random.int(4)) {
        case 0:
          payload = random.bytes(random.int(parameters * 4 + 8))
          hash = payloadHash(payload)
          break
        case 1: {
          const weights = Float32Array.from({ length: parameters }, () => random.int(5) === 0 ? random.pick(specials) : random.next() - 0.5)
          payload = encodeModelPayload(weights)
          hash = payloadHash(payload)
          break
        }
        case 2: {
          // Unaligned view into a bigger buffer.
          const backing = random.bytes(parameters * 4 + 3)
          payload = backing.subarray(1 + random.int(3), 1 + random.int(3) + parameters * 4).subarray(0, parameters * 4)
          hash = random.int(2) === 0 ? payloadHash(payload) : Buffer.from(random.bytes(32)).toString('hex')
          break
        }
        default:
          payload = random.bytes(parameters * 4)
          hash = random.pick(['', 'zz', payloadHash(random.bytes(4))])
      }
      try {
        const weights = decodeModelPayload(payload, hash, parameters)
        assert.equal(weights.length, parameters)
        assert.ok(weights.every(Number.isFinite), `input ${i}: non-finite weights accepted`)
        accepted++
      } catch (err) {
        assert.ok(isTypedRefusal(err), `input ${i} threw ${String(err)}`)
      }
    }
    assert.ok(accepted > 0)
  })

  it(`decodeModelRequest throws only ValidationError on ${REQUEST_INPUTS.toLocaleString('en')} generated inputs`, () => {
    const random = new Random(FUZZ_SEED + 2)
    for (let i = 0; i < REQUEST_INPUTS; i++) {
      const length = random.int(3) === 0 ? MODEL_REQUEST_BYTES : random.int(100)
      const bytes = random.bytes(length)
      try {
        assert.equal(decodeModelRequest(bytes), Buffer.from(bytes).toString('hex'))
        assert.equal(length, MODEL_REQUEST_BYTES)
      } catch (err) {
        assert.ok(isTypedRefusal(err), `input ${i} threw ${String(err)}`)
      }
    }
  })

  it('covers at least 100,000 inputs in all', () => {
    assert.ok(ANNOUNCEMENT_INPUTS + PAYLOAD_INPUTS + REQUEST_INPUTS >= 100_000)
  })
})
