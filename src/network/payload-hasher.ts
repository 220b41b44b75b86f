import { createHash } from 'node:crypto'
import { Worker } from 'node:worker_threads'

/**
 * SHA-256 of a payload while it arrives. A big payload is hashed in a worker thread, reading the
 * shared buffer the bytes are received into, so that hashing overlaps receiving and decryption
 * instead of adding to them; a small one on the spot (a worker costs memory a small model never
 * pays back).
 */

/** Payloads from this size on are hashed in the worker, bytes (4 MiB). */
export const PARALLEL_HASH_MIN_BYTES = 4 * 1024 * 1024

/** The worker is told of progress at most once per this many bytes (1 MiB). */
const PROGRESS_STEP_BYTES = 1024 * 1024

/** One payload being hashed: told how far its buffer is filled, then asked for the digest. */
export interface PayloadHash {
  /** The payload's buffer: receive the bytes into it, in order. */
  readonly buffer: Uint8Array
  /** The first `filled` bytes of the buffer are final. */
  progress (filled: number): void
  /** Hex SHA-256 of the whole buffer, once it is filled. */
  digest (): Promise<string>
  /** Forget the payload (the transfer failed). */
  abort (): void
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createHash } = require('node:crypto')
const jobs = new Map()
parentPort.on('message', m => {
  if (m.buffer !== undefined) { jobs.set(m.id, { hash: createHash('sha256'), bytes: new Uint8Array(m.buffer), done: 0 }); return }
  const job = jobs.get(m.id)
  if (job === undefined) return
  if (m.abort === true) { jobs.delete(m.id); return }
  job.hash.update(job.bytes.subarray(job.done, m.filled))
  job.done = m.filled
  if (m.end === true) { jobs.delete(m.id); parentPort.postMessage({ id: m.id, digest: job.hash.digest('hex') }) }
})
`

/** Hashes payloads; owns its worker thread, started on first need. Stop it with {@link PayloadHasher.stop}. */
export class PayloadHasher {
  #worker: Worker | undefined
  #nextId = 0
  readonly #waiting = new Map<number, { resolve: (digest: string) => void, reject: (err: Error) => void }>()

  /** Start hashing a payload of `byteLength` bytes. */
  begin (byteLength: number): PayloadHash {
    if (byteLength < PARALLEL_HASH_MIN_BYTES) return inlineHash(byteLength)
    const worker = this.#ensureWorker()
    const id = this.#nextId++
    const buffer = new Uint8Array(new SharedArrayBuffer(byteLength))
    worker.postMessage({ id, buffer: buffer.buffer })
    let told = 0
    return {
      buffer,
      progress: filled => {
        if (filled - told < PROGRESS_STEP_BYTES) return
        told = filled
        worker.postMessage({ id, filled })
      },
      digest: () => new Promise<string>((resolve, reject) => {
        this.#waiting.set(id, { resolve, reject })
        worker.postMessage({ id, filled: byteLength, end: true })
      }),
      abort: () => { worker.postMessage({ id, abort: true }) }
    }
  }

  /** End the worker; digests still awaited fail. Idempotent. */
  async stop (): Promise<void> {
    const worker = this.#worker
    this.#worker = undefined
    this.#fail(new Error('payload hasher stopped'))
    await worker?.terminate()
  }

  #ensureWorker (): Worker {
    if (this.#worker !== undefined) return this.#worker
    const worker = new Worker(WORKER_SOURCE, { eval: true })
    worker.unref()
    worker.on('message', (m: { id: number, digest: string }) => {
      const waiting = this.#waiting.get(m.id)
      this.#waiting.delete(m.id)
      waiting?.resolve(m.digest)
    })
    worker.on('error', err => {
      if (this.#worker === worker) this.#worker = undefined
      this.#fail(err)
    })
    this.#worker = worker
    return worker
  }

  #fail (err: Error): void {
    for (const { reject } of this.#waiting.values()) reject(err)
    this.#waiting.clear()
  }
}

function inlineHash (byteLength: number): PayloadHash {
  const buffer = new Uint8Array(byteLength)
  const hash = createHash('sha256')
  let done = 0
  return {
    buffer,
    progress: filled => {
      hash.update(buffer.subarray(done, filled))
      done = filled
    },
    digest: async () => {
      hash.update(buffer.subarray(done))
      return hash.digest('hex')
    },
    abort: () => {}
  }
}
