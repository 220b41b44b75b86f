import { createHash } from 'node:crypto'
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { modelPayloadView } from '../protocol/index.ts'

/**
 * Models kept beside the log, content-addressed: `<data-dir>/models/<sha-256 hex>` holds the
 * `f32le` payload (docs/wire.md §5) whose SHA-256 is its name, the hash the ledger records.
 */
export class ModelStore {
  readonly dir: string
  #made = false
  #writes = 0
  constructor (dir: string) {
    this.dir = dir
  }

  /**
   * Keep a model; returns its hash. Writing the same model twice is a no-op.
   * @param knownHash the payload's SHA-256 when the caller has already checked it (a fetched
   *   model verified against its announcement), which saves hashing it again; a wrong one makes
   *   `ledger verify` report the file.
   */
  async put (weights: Float32Array, knownHash?: string): Promise<string> {
    // The weights' own bytes, not a copy: models are never changed once made.
    const bytes = modelPayloadView(weights)
    const hash = knownHash ?? createHash('sha256').update(bytes).digest('hex')
    const path = join(this.dir, hash)
    if (await exists(path)) return hash
    if (!this.#made) {
      await mkdir(this.dir, { recursive: true })
      this.#made = true
    }
    // Temp file then rename: a crash never leaves a partial model under a hash name.
    // A temp name of its own: the same model may be put twice at once (two peers sending one model).
    const temp = `${path}.${process.pid}.${++this.#writes}.tmp`
    await writeFile(temp, bytes)
    await rename(temp, path)
    return hash
  }

  /** The model stored under `hash`, or undefined if it is not held. The bytes are not checked here. */
  async get (hash: string): Promise<Float32Array | undefined> {
    let bytes: Buffer
    try {
      bytes = await readFile(join(this.dir, hash))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
    const weights = new Float32Array(bytes.byteLength / 4)
    new Uint8Array(weights.buffer).set(bytes.subarray(0, weights.byteLength))
    return weights
  }

  /** Stop holding a model (retention); a model not held is no error. */
  async remove (hash: string): Promise<void> {
    await rm(join(this.dir, hash), { force: true })
  }

  /** Names of the models held (64-hex file names; temp files and others left out). */
  async list (): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter(name => /^[0-9a-f]{64}$/.test(name)).sort()
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
  }

  /** SHA-256 hex of the bytes held under `name`. */
  async hashOf (name: string): Promise<string> {
    return createHash('sha256').update(await readFile(join(this.dir, name))).digest('hex')
  }
}

async function exists (path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}
