import type { BackendName } from './backend.ts'
import { BackendUnavailableError } from './backend.ts'
import { DatasetError } from './dataset-error.ts'
import { WeightsShapeError } from './dense-model.ts'
import { PartitionError } from './partition.ts'
import type { EvaluationResult, EvaluationSplit, PrivateTrainResult, PrivateTraining, TrainResult } from './trainer.ts'

/** A call from a `ModelTrainer` to its worker. */
export type WorkerRequest =
  | { readonly id: number, readonly op: 'train', readonly weights: Float32Array, readonly steps: number | undefined, readonly round: number | undefined }
  | { readonly id: number, readonly op: 'train-private', readonly weights: Float32Array, readonly privacy: PrivateTraining }
  | { readonly id: number, readonly op: 'evaluate', readonly weights: Float32Array, readonly split: EvaluationSplit }

/** The worker's answer to one {@link WorkerRequest}. */
export type WorkerReply =
  | { readonly id: number, readonly ok: true, readonly result: TrainResult | PrivateTrainResult | EvaluationResult }
  | { readonly id: number, readonly ok: false, readonly error: SerializedError }

/** The worker's first message: its shard is loaded and it is ready, or it could not start. */
export type WorkerHello =
  | {
    readonly kind: 'ready'
    readonly backend: BackendName
    readonly parameterCount: number
    readonly datasetFingerprint: string
    readonly shardSize: { readonly train: number, readonly holdout: number }
    /** Rows of the data set's common test part. */
    readonly testSize: number
    /** Whether the features were standardised from the node's train rows. */
    readonly standardized: boolean
  }
  | { readonly kind: 'failed', readonly error: SerializedError }

/** An error as it crosses the thread boundary: its class name, message, stack and own fields. */
export interface SerializedError {
  readonly name: string
  readonly message: string
  readonly stack: string | undefined
  readonly fields: Readonly<Record<string, unknown>>
}

// The error classes a worker may throw that callers may want to tell apart with instanceof.
const KNOWN_ERRORS: Readonly<Record<string, { prototype: Error }>> = {
  DatasetError,
  PartitionError,
  WeightsShapeError,
  BackendUnavailableError,
  RangeError,
  TypeError
}

/** Flatten an error for `postMessage`, keeping its class name and plain own fields. */
export function serializeError (err: unknown): SerializedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err), stack: undefined, fields: {} }
  const fields: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(err)) {
    if (value === undefined || ['string', 'number', 'boolean'].includes(typeof value)) fields[key] = value
  }
  return { name: err.name, message: err.message, stack: err.stack, fields }
}

/**
 * Rebuild an error from the worker as an instance of its original class when that class is
 * known (so `instanceof DatasetError` holds in the caller's thread), else as a plain Error.
 */
export function deserializeError (data: SerializedError): Error {
  const known = KNOWN_ERRORS[data.name]
  const err: Error = known === undefined ? new Error(data.message) : Object.create(known.prototype) as Error
  Object.defineProperty(err, 'message', { value: data.message, writable: true, configurable: true })
  Object.assign(err, data.fields)
  if (known === undefined && data.name !== 'Error') err.name = data.name
  if (data.stack !== undefined) Object.defineProperty(err, 'stack', { value: data.stack, writable: true, configurable: true })
  return err
}
