import type { Worker } from 'node:worker_threads'
import type { BackendName } from './backend-choice.ts'
import type { EvaluationResult, EvaluationSplit, PrivateTrainResult, PrivateTraining, TrainCallOptions, Trainer, TrainerOptions, TrainResult } from './trainer.ts'
import { TrainerStoppedError } from './trainer.ts'
import type { WorkerHello, WorkerReply, WorkerRequest } from './worker-messages.ts'
import { deserializeError } from './worker-messages.ts'
import { initialWeights } from './model-shape.ts'
import { formatDataSource } from './data-source.ts'
import { describeShard } from './training-shard.ts'
import { startModuleWorker } from './module-worker.ts'

interface Pending {
  resolve: (value: TrainResult | PrivateTrainResult | EvaluationResult) => void
  reject: (reason: unknown) => void
  cleanup: () => void
}

// The same extension as this file: .ts from the sources, .js from the packed build (dist/).
const WORKER_URL = new URL(`./train-worker${import.meta.url.endsWith('.js') ? '.js' : '.ts'}`, import.meta.url)

/**
 * A {@link Trainer} that runs tfjs in a worker thread, so that training never blocks the
 * network's event loop. Calls are served one at a time in the order made. Weights travel as
 * transferred ArrayBuffers: results are never copied, inputs are copied once unless
 * `transfer: true`.
 */
export class ModelTrainer implements Trainer {
  readonly backend: BackendName
  readonly parameterCount: number
  readonly datasetFingerprint: string
  readonly shardSize: { readonly train: number, readonly holdout: number }
  /** Rows of the data set's common test part. */
  readonly testSize: number
  /** Whether the features were standardised from this node's train rows (CSV data). */
  readonly standardized: boolean
  readonly #options: TrainerOptions
  readonly #worker: Worker
  readonly #pending = new Map<number, Pending>()
  #nextId = 0
  #stopped: Error | undefined

  /**
   * Start a worker, choose its backend and load its shard (about half a second for MNIST). The
   * worker keeps the process alive until {@link close}.
   * @param init.signal aborting it terminates the worker and rejects with the signal's reason.
   * @throws the worker's own error when it cannot start: DatasetError, PartitionError,
   *   BackendUnavailableError, RangeError (bad shard); TrainerStoppedError if it dies first.
   */
  static async start (options: TrainerOptions, init: { readonly signal?: AbortSignal } = {}): Promise<ModelTrainer> {
    init.signal?.throwIfAborted()
    const worker = startModuleWorker(WORKER_URL, { data: options, name: `meshtrain-trainer-${options.shard.index}` })
    const hello = await new Promise<WorkerHello>((resolve, reject) => {
      // Remove exactly these listeners: Node keeps internal ones on a Worker that must stay.
      const settle = (): void => {
        worker.off('message', onMessage)
        worker.off('error', onError)
        worker.off('exit', onExit)
        init.signal?.removeEventListener('abort', onAbort)
      }
      const onAbort = (): void => {
        settle()
        worker.terminate().catch(() => { /* already gone: nothing left to stop */ })
        reject(init.signal?.reason)
      }
      init.signal?.addEventListener('abort', onAbort, { once: true })
      const onMessage = (message: WorkerHello): void => { settle(); resolve(message) }
      const onError = (err: Error): void => {
        settle()
        reject(new TrainerStoppedError(`trainer worker failed while starting: ${err.message}`, { cause: err }))
      }
      const onExit = (code: number): void => {
        settle()
        reject(new TrainerStoppedError(`trainer worker exited with code ${code} while starting`))
      }
      worker.on('message', onMessage)
      worker.on('error', onError)
      worker.on('exit', onExit)
    })
    if (hello.kind === 'failed') {
      await worker.terminate()
      throw deserializeError(hello.error)
    }
    return new ModelTrainer(options, worker, hello)
  }

  private constructor (options: TrainerOptions, worker: Worker, hello: WorkerHello & { kind: 'ready' }) {
    this.#options = options
    this.#worker = worker
    this.backend = hello.backend
    this.parameterCount = hello.parameterCount
    this.datasetFingerprint = hello.datasetFingerprint
    this.shardSize = hello.shardSize
    this.testSize = hello.testSize
    this.standardized = hello.standardized
    worker.on('message', (reply: WorkerReply) => { this.#settle(reply) })
    worker.on('error', err => { this.#stop(new TrainerStoppedError(`trainer worker crashed: ${err.message}`, { cause: err })) })
    worker.on('exit', code => { this.#stop(new TrainerStoppedError(`trainer worker exited with code ${code}`)) })
  }

  /** What the node trains on, in one line (see describeShard). */
  get dataSummary (): string {
    return describeShard(formatDataSource(this.#options.data), this.#options.shard, { ...this.shardSize, test: this.testSize, standardized: this.standardized })
  }

  /** The manifest's starting weights (computed in this thread: it is cheap and deterministic). */
  initialWeights (): Float32Array {
    return initialWeights(this.#options.model, this.#options.training.initSeed)
  }

  /** See {@link Trainer.train}. @throws TrainerStoppedError when the worker is gone. */
  async train (weights: Float32Array, steps?: number, options: TrainCallOptions = {}): Promise<TrainResult> {
    return await this.#call(id => ({ id, op: 'train', weights: this.#outgoing(weights, options), steps, batchSeed: options.batchSeed }), options) as TrainResult
  }

  /** See {@link Trainer.trainPrivately}. @throws TrainerStoppedError when the worker is gone. */
  async trainPrivately (weights: Float32Array, privacy: PrivateTraining, options: TrainCallOptions = {}): Promise<PrivateTrainResult> {
    return await this.#call(id => ({ id, op: 'train-private', weights: this.#outgoing(weights, options), privacy: { clipNorm: privacy.clipNorm, noiseMultiplier: privacy.noiseMultiplier } }), options) as PrivateTrainResult
  }

  /** See {@link Trainer.evaluate}. @throws TrainerStoppedError when the worker is gone. */
  async evaluate (weights: Float32Array, split: EvaluationSplit, options: TrainCallOptions = {}): Promise<EvaluationResult> {
    return await this.#call(id => ({ id, op: 'evaluate', weights: this.#outgoing(weights, options), split }), options) as EvaluationResult
  }

  /** Terminate the worker; pending calls reject with TrainerStoppedError. Idempotent. */
  async close (): Promise<void> {
    if (this.#stopped !== undefined) return
    this.#stop(new TrainerStoppedError('trainer closed'))
    await this.#worker.terminate()
  }

  #call (makeRequest: (id: number) => WorkerRequest, options: TrainCallOptions): Promise<TrainResult | PrivateTrainResult | EvaluationResult> {
    if (this.#stopped !== undefined) return Promise.reject(this.#stopped)
    options.signal?.throwIfAborted()
    const id = this.#nextId++
    const request = makeRequest(id)
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.#pending.delete(id)
        reject(options.signal?.reason)
      }
      options.signal?.addEventListener('abort', onAbort, { once: true })
      this.#pending.set(id, { resolve, reject, cleanup: () => options.signal?.removeEventListener('abort', onAbort) })
      this.#worker.postMessage(request, [request.weights.buffer as ArrayBuffer])
    })
  }

  // The array to send: the caller's own when they hand it over whole, else an exact-size copy.
  #outgoing (weights: Float32Array, options: TrainCallOptions): Float32Array {
    const whole = weights.byteOffset === 0 && weights.byteLength === weights.buffer.byteLength && weights.buffer instanceof ArrayBuffer
    return options.transfer === true && whole ? weights : weights.slice()
  }

  #settle (reply: WorkerReply): void {
    const pending = this.#pending.get(reply.id)
    // Absent when the call was aborted: its result is dropped.
    if (pending === undefined) return
    this.#pending.delete(reply.id)
    pending.cleanup()
    if (reply.ok) pending.resolve(reply.result)
    else pending.reject(deserializeError(reply.error))
  }

  #stop (reason: Error): void {
    if (this.#stopped !== undefined) return
    this.#stopped = reason
    for (const pending of this.#pending.values()) {
      pending.cleanup()
      pending.reject(reason)
    }
    this.#pending.clear()
  }
}
