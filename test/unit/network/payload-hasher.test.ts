import { strict as assert } from 'node:assert'
import { createHash } from 'node:crypto'
import { PARALLEL_HASH_MIN_BYTES, PayloadHasher } from '../../../src/network/payload-hasher.ts'

/** Fill the job's buffer in uneven pieces, as a socket would, telling it each time. */
async function hashInPieces (hasher: PayloadHasher, bytes: Uint8Array): Promise<string> {
  const job = hasher.begin(bytes.byteLength)
  let filled = 0
  for (let piece = 1; filled < bytes.byteLength; piece = (piece * 7919) % 100_003 + 1) {
    const next = Math.min(bytes.byteLength, filled + piece * 13)
    job.buffer.set(bytes.subarray(filled, next), filled)
    filled = next
    job.progress(filled)
  }
  return await job.digest()
}

const pattern = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 24)

describe('payload hasher', () => {
  const hasher = new PayloadHasher()
  after(async () => { await hasher.stop() })

  it('gives the SHA-256 of small payloads (hashed on the spot) and big ones (in the worker)', async () => {
    for (const size of [1, 1000, PARALLEL_HASH_MIN_BYTES - 1, PARALLEL_HASH_MIN_BYTES, PARALLEL_HASH_MIN_BYTES + 3_000_017]) {
      const bytes = pattern(size)
      assert.equal(await hashInPieces(hasher, bytes), createHash('sha256').update(bytes).digest('hex'), `${size} bytes`)
    }
  })

  it('hashes several big payloads at once, each to its own digest', async () => {
    const payloads = [pattern(PARALLEL_HASH_MIN_BYTES + 5), pattern(PARALLEL_HASH_MIN_BYTES + 6).reverse()]
    const digests = await Promise.all(payloads.map(async p => await hashInPieces(hasher, p)))
    assert.deepEqual(digests, payloads.map(p => createHash('sha256').update(p).digest('hex')))
  })

  it('fails the digests still awaited when stopped', async () => {
    const own = new PayloadHasher()
    const job = own.begin(PARALLEL_HASH_MIN_BYTES)
    // stop() fails the digest at once, before any answer of the worker can be read.
    const rejected = assert.rejects(job.digest(), /stopped/)
    await own.stop()
    await rejected
  })
})
