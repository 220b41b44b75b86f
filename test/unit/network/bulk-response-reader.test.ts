import { strict as assert } from 'node:assert'
import { createHash } from 'node:crypto'
import { BulkResponseReader } from '../../../src/network/bulk-response-reader.ts'
import { PARALLEL_HASH_MIN_BYTES, PayloadHasher } from '../../../src/network/payload-hasher.ts'
import { TransferError } from '../../../src/protocol/index.ts'

const pattern = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 24)
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

/** A bulk answer: [proof], `F`, the 4-byte little-endian length, the payload. */
function answer (payload: Uint8Array, options: { proof?: Uint8Array, status?: number, length?: number } = {}): Uint8Array {
  const head = Buffer.alloc(5)
  head[0] = options.status ?? 0x46
  head.writeUInt32LE(options.length ?? payload.byteLength, 1)
  return Buffer.concat([options.proof ?? new Uint8Array(0), head, payload])
}

/**
 * Feed `bytes` as node:tls does with `onread`: pieces of at most `piece` bytes (a record), each
 * cut to the room of the buffer the reader gives, written there, then reported.
 */
function deliver (reader: BulkResponseReader, bytes: Uint8Array, piece: number): void {
  for (let offset = 0; offset < bytes.byteLength;) {
    const target = reader.nextBuffer()
    const count = Math.min(piece, target.byteLength, bytes.byteLength - offset)
    target.set(bytes.subarray(offset, offset + count))
    offset += count
    reader.received(count)
  }
}

const refusedWith = (code: string) => (err: unknown): boolean => err instanceof TransferError && err.code === code

describe('bulk response reader', () => {
  const hasher = new PayloadHasher()
  after(async () => { await hasher.stop() })
  const reader = (payload: Uint8Array, proofBytes = 0, byteLength = payload.byteLength): BulkResponseReader =>
    new BulkResponseReader({ byteLength, modelHash: sha256(payload), proofBytes, hasher })

  it('reads the payload in place, in a buffer of its own, whatever the records, small and big (worker-hashed) alike', async () => {
    for (const [size, piece] of [[1, 1], [1000, 7], [70_000, 16_384], [PARALLEL_HASH_MIN_BYTES + 3, 16_384]] as const) {
      const payload = pattern(size)
      const r = reader(payload)
      r.requestSent(undefined)
      deliver(r, answer(payload), piece)
      const fetched = await r.end()
      assert.deepEqual(fetched, payload, `${size} bytes in pieces of ${piece}`)
      assert.equal(fetched.byteOffset, 0)
      assert.equal(fetched.buffer.byteLength, size)
    }
  })

  it('checks the server proof of a closed network before the status', async () => {
    const payload = pattern(100)
    const proof = pattern(32).reverse()
    const good = reader(payload, 32)
    good.requestSent(proof)
    deliver(good, answer(payload, { proof }), 3)
    assert.deepEqual(await good.end(), payload)
    const wrong = reader(payload, 32)
    wrong.requestSent(proof)
    const forged = proof.slice()
    forged[31] = (forged[31] as number) ^ 1
    assert.throws(() => { deliver(wrong, answer(payload, { proof: forged }), 64) }, refusedWith('bad-certificate'))
    // A server without the key answering `N`: the byte is taken for the start of a proof, never for a status.
    const open = reader(payload, 32)
    open.requestSent(proof)
    deliver(open, Uint8Array.of(0x4e), 1)
    await assert.rejects(open.end(), refusedWith('truncated'))
  })

  it('refuses an answer that is not the announced payload', async () => {
    const payload = pattern(1000)
    const cases: Array<[string, Uint8Array, string]> = [
      ['not found', Uint8Array.of(0x4e), 'not-found'],
      ['busy', Uint8Array.of(0x42), 'busy'],
      ['an unknown status', Uint8Array.of(0x58), 'bad-response'],
      ['another length', answer(payload, { length: 999 }), 'wrong-size'],
      ['a byte more', Buffer.concat([answer(payload), Uint8Array.of(0)]), 'wrong-size']
    ]
    for (const [what, bytes, code] of cases) {
      const r = reader(payload)
      r.requestSent(undefined)
      assert.throws(() => { deliver(r, bytes, 16_384) }, refusedWith(code), what)
      r.abort()
    }
    const early = reader(payload)
    assert.throws(() => { deliver(early, answer(payload), 16_384) }, refusedWith('bad-response'), 'bytes before the request')
    const short = reader(payload)
    short.requestSent(undefined)
    deliver(short, answer(payload).subarray(0, 500), 100)
    await assert.rejects(short.end(), refusedWith('truncated'))
    const other = reader(payload)
    other.requestSent(undefined)
    deliver(other, answer(pattern(1000).reverse()), 16_384)
    await assert.rejects(other.end(), refusedWith('hash-mismatch'))
  })
})
