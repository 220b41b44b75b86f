import { writeFileAtomically } from './atomic-file.ts'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { MAX_ANNOUNCEMENT_COUNT, decodeModelPayload, modelPayloadView, payloadHash } from '../protocol/index.ts'
import { InputError, RuntimeFailure } from '../errors/index.ts'
import type { Logger } from '../round/index.ts'

/** The latest model and the round it finished, as kept on disk. */
export interface Checkpoint {
  readonly networkId: string
  /** The last finished round; the node resumes with the next one. */
  readonly round: number
  readonly weights: Float32Array
  /** The manifest version the model was trained under (0: the genesis); the model carries over to later versions. */
  readonly manifestVersion?: number
}

const CHECKPOINT_FILE = 'latest.ckpt'

/**
 * Largest round a checkpoint may hold: the largest round an announcement may carry
 * (`MAX_ANNOUNCEMENT_COUNT`, 2^40), so a resumed node can announce its next round.
 */
export const MAX_CHECKPOINT_ROUND = MAX_ANNOUNCEMENT_COUNT - 1

/**
 * Write the checkpoint atomically: a temporary file is written and fsynced, then renamed over the
 * previous one and the directory fsynced, so a crash at any point leaves the last good checkpoint.
 * Layout: 4-byte little-endian header length, the JSON header, the float32 weights.
 */
export async function saveCheckpoint (dir: string, checkpoint: Checkpoint): Promise<void> {
  const payload = modelPayloadView(checkpoint.weights)
  const header = Buffer.from(JSON.stringify({
    networkId: checkpoint.networkId,
    round: checkpoint.round,
    manifestVersion: checkpoint.manifestVersion ?? 0,
    parameters: checkpoint.weights.length,
    sha256: payloadHash(payload)
  }))
  const length = Buffer.alloc(4)
  length.writeUInt32LE(header.length)
  try {
    await writeFileAtomically(join(dir, CHECKPOINT_FILE), Buffer.concat([length, header, payload]))
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error'
    throw new CheckpointWriteError(`cannot write checkpoint of round ${checkpoint.round} in ${dir}: ${code === 'ENOSPC' ? 'no space left on device' : (err as Error).message}`, code, { cause: err })
  }
}

/** A checkpoint that could not be written (disk full, permissions); the previous one is intact. */
export class CheckpointWriteError extends RuntimeFailure {
  /** The errno code, e.g. `ENOSPC`. */
  readonly errno: string
  constructor (message: string, errno: string, options?: ErrorOptions) {
    super('checkpoint-write-failed', message, options)
    this.errno = errno
  }
}

/**
 * Save a checkpoint, and when it cannot be written warn and carry on: the last good checkpoint is
 * kept, training goes on and the next round tries again (a full disk is for the operator to fix,
 * not a reason to stop a network member).
 * @returns whether the checkpoint was written.
 */
export async function saveCheckpointOrWarn (dir: string, checkpoint: Checkpoint, log: Logger): Promise<boolean> {
  try {
    await saveCheckpoint(dir, checkpoint)
    return true
  } catch (err) {
    if (!(err instanceof CheckpointWriteError)) throw err
    log.warn(`${err.message}; keeping the last good checkpoint, training goes on and the next round tries again`)
    return false
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
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    if (code === 'EISDIR') throw new CheckpointError(`${path} is a directory, expected a checkpoint file; move it away to start afresh`, { cause: err })
    if (code === 'ENOTDIR') throw new CheckpointError(`${dir} is not a directory; move it away (the node keeps its checkpoints there)`, { cause: err })
    throw new CheckpointError(`${path} cannot be read: ${code ?? (err as Error).message}`, { cause: err })
  }
  let header: { networkId?: unknown, round?: unknown, parameters?: unknown, sha256?: unknown, manifestVersion?: unknown }
  let payload: Uint8Array
  try {
    const length = bytes.readUInt32LE(0)
    header = JSON.parse(bytes.subarray(4, 4 + length).toString('utf8'))
    payload = bytes.subarray(4 + length)
  } catch (err) {
    throw new CheckpointError(`${path} is damaged: ${(err as Error).message}`, { cause: err })
  }
  if (header === null || typeof header !== 'object') throw new CheckpointError(`${path} has a bad header`)
  if (header.networkId !== networkId) throw new CheckpointError(`${path} belongs to network ${String(header.networkId)}, not ${networkId}; move it away to start afresh`)
  if (header.parameters !== parameterCount || typeof header.sha256 !== 'string') throw new CheckpointError(`${path} has a bad header`)
  const round = header.round
  if (typeof round !== 'number' || !Number.isInteger(round) || round < 0 || round > MAX_CHECKPOINT_ROUND) {
    throw new CheckpointError(`${path}: round ${JSON.stringify(round)} is not an integer from 0 to ${MAX_CHECKPOINT_ROUND}`)
  }
  try {
    // Checkpoints written before manifest versions existed were trained under the genesis.
    const manifestVersion = Number.isSafeInteger(header.manifestVersion) && (header.manifestVersion as number) >= 0 ? header.manifestVersion as number : 0
    return { networkId, round, manifestVersion, weights: decodeModelPayload(payload, header.sha256, parameterCount) }
  } catch (err) {
    throw new CheckpointError(`${path} is damaged: ${(err as Error).message}`, { cause: err })
  }
}
