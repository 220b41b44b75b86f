/**
 * The local training of a scale simulation's peers, off the thread that runs their round loops:
 * `threads` worker threads (scripts/scale/training-worker.ts), peer i's training always on thread
 * i mod `threads`, one call at a time per thread, first come first served.
 *
 * Why threads: one thread that trains a thousand peers and runs their round loops blocks its
 * event loop for a whole sweep of trainings whenever one announcement completes many peers'
 * quorums (each then trains its next round at once), so announcements wait undelivered behind
 * the trainings while round deadlines (wall clock) run out: the 1,000-peer run's third round
 * closed at the deadline for every peer. A daemon trains in a worker thread too, so the loop
 * here waits for training as it does there. Each peer trains with SimulationSgd (model/
 * simulation-sgd.ts: TrainingCore's SGD with the backward pass written out, the same weights to
 * 1e-5), about a third of TrainingCore's CPU per step.
 */
import { Worker } from 'node:worker_threads'
import type { TrainResult } from '../../src/model/index.ts'
import type { PoolReply, PoolRequest, TrainingWorkerData } from './training-worker.ts'

const WORKER = new URL('./training-worker.ts', import.meta.url)

export class TrainingPool {
  readonly #workers: Worker[]
  readonly #pending = new Map<number, { resolve: (r: PoolReply & { ok: true }) => void, reject: (e: Error) => void }>()
  #nextId = 0
  #cpuMs = 0

  /** Start `threads` training threads and wait until each has loaded the data set. */
  static async start (threads: number, data: TrainingWorkerData): Promise<TrainingPool> {
    const workers = Array.from({ length: threads }, (_, i) => new Worker(WORKER, { workerData: data, name: `training-${i}` }))
    await Promise.all(workers.map(async worker => await new Promise<void>((resolve, reject) => {
      worker.once('error', reject)
      worker.once('message', () => { worker.off('error', reject); resolve() })
    })))
    return new TrainingPool(workers)
  }

  private constructor (workers: Worker[]) {
    this.#workers = workers
    for (const worker of workers) {
      worker.on('message', (reply: PoolReply) => { this.#settle(reply) })
      worker.on('error', err => { this.#failAll(err) })
    }
  }

  /** CPU time the threads spent training so far, ms (each thread's own, summed). */
  get cpuMs (): number { return this.#cpuMs }

  /** Peer `node`'s local training from `weights` (copied to its thread; `weights` stays usable). */
  async train (node: number, weights: Float32Array): Promise<TrainResult> {
    const reply = await this.#ask(node, { op: 'train', id: this.#nextId++, node, weights })
    if (reply.op !== 'train') throw new Error('training thread: answered a training with a test')
    this.#cpuMs += reply.cpuMs
    return { weights: reply.weights, loss: reply.loss, sampleCount: reply.sampleCount }
  }

  /** Accuracy of `weights` on the common test part, on thread `thread` mod the threads. */
  async testAccuracy (weights: Float32Array, thread: number): Promise<number> {
    const reply = await this.#ask(thread, { op: 'test', id: this.#nextId++, weights })
    if (reply.op !== 'test') throw new Error('training thread: answered a test with a training')
    return reply.accuracy
  }

  async #ask (thread: number, request: PoolRequest): Promise<PoolReply & { ok: true }> {
    return await new Promise((resolve, reject) => {
      this.#pending.set(request.id, { resolve, reject })
      ;(this.#workers[thread % this.#workers.length] as Worker).postMessage(request)
    })
  }

  async close (): Promise<void> {
    await Promise.all(this.#workers.map(async w => await w.terminate()))
  }

  #settle (reply: PoolReply): void {
    const pending = this.#pending.get(reply.id)
    if (pending === undefined) return
    this.#pending.delete(reply.id)
    if (reply.ok) pending.resolve(reply)
    else pending.reject(new Error(`training thread: ${reply.message}`))
  }

  #failAll (err: Error): void {
    for (const { reject } of this.#pending.values()) reject(new Error(`training thread failed: ${err.message}`, { cause: err }))
    this.#pending.clear()
  }
}
