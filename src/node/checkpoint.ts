import { mkdir, open, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { decodeModelPayload, encodeModelPayload, payloadHash } from '../protocol/index.ts'
import { InputError } from '../errors/index.ts'

/** The latest model and the round it finished, as kept on disk. */
export interface Checkpoint {
  readonly networkId: string
  /** The last finished round; the node resumes with the next one. */
  readonly round: number
  readonly weights: Float32Array
}

const CHECKPOINT_FILE = 'latest.ckpt'

/**
 * Write the checkpoint atomically: a temporary file is written and fsynced, then renamed over the
 * previous one and the directory fsynced, so a crash at any point leaves the last good checkpoint.
 * Layout: 4-byte little-endian header length, the JSON header, the float32 weights.
 */
export async function saveCheckpoint (dir: string, checkpoint: Checkpoint): Promise<void> {
  await mkdir(dir, { recursive: true })
  const payload = encodeModelPayload(checkpoint.weights)
  const header = Buffer.from(JSON.stringify({
    networkId: checkpoint.networkId,
    round: checkpoint.round,
    parameters: checkpoint.weights.length,
    sha256: payloadHash(payload)
  }))
  const length = Buffer.alloc(4)
  length.writeUInt32LE(header.length)
  const temp = join(dir, `${CHECKPOINT_FILE}.${process.pid}.tmp`)
  const file = await open(temp, 'w', 0o600)
  try {
    await file.writeFile(Buffer.concat([length, header, payload]))
    await file.sync()
  } finally {
    await file.close()
  }
  await rename(temp, join(dir, CHECKPOINT_FILE))
  const directory = await open(dir, 'r')
  try {
    await directory.sync()
  } finally {
    await directory.close()
  }
}

/** A checkpoint file that cannot be used. */
export class CheckpointError extends InputError {
  constructor (message: string, options?: ErrorOptions) {
    super('bad-checkpoint', message, options)
  }
}

/**
 * Read the checkpoint in `dir`; undefined when there is none.
 * @throws CheckpointError when it is damaged, belongs to another network or another model size.
 */
export async function loadCheckpoint (dir: string, networkId: string, parameterCount: number): Promise<Checkpoint | undefined> {
  const path = join(dir, CHECKPOINT_FILE)
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  let header: { networkId?: unknown, round?: unknown, parameters?: unknown, sha256?: unknown }
  let payload: Uint8Array
  try {
    const length = bytes.readUInt32LE(0)
    header = JSON.parse(bytes.subarray(4, 4 + length).toString('utf8'))
    payload = bytes.subarray(4 + length)
  } catch (err) {
    throw new CheckpointError(`${path} is damaged: ${(err as Error).message}`, { cause: err })
  }
  if (header.networkId !== networkId) throw new CheckpointError(`${path} belongs to network ${String(header.networkId)}, not ${networkId}; move it away to start afresh`)
  if (header.parameters !== parameterCount || typeof header.sha256 !== 'string' || !Number.isSafeInteger(header.round)) {
    throw new CheckpointError(`${path} has a bad header`)
  }
  try {
    return { networkId, round: header.round as number, weights: decodeModelPayload(payload, header.sha256, parameterCount) }
  } catch (err) {
    throw new CheckpointError(`${path} is damaged: ${(err as Error).message}`, { cause: err })
  }
}
