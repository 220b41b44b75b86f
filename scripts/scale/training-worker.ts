/**
 * One training thread of the scale simulation (scripts/scale/training-pool.ts): holds MNIST once,
 * and for each simulated peer it is given its SimulationSgd (the peer's shard, batch order and
 * seed, as InProcessTrainer.fromShard would make them); answers one request at a time, in the
 * order they arrive: a peer's training (with the thread's own CPU time for it) or a model's test
 * accuracy.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { loadDataset, trainingShardOf } from '../../src/model/index.ts'
import { SimulationSgd, TrainingCore, useBackend } from '../../src/model/tfjs.ts'
import type { ModelSpec, TrainingSpec } from '../../src/protocol/index.ts'
import { peerShard } from './peer-shard.ts'

/** What the pool hands a training thread when it starts it. */
export interface TrainingWorkerData {
  readonly model: ModelSpec
  readonly training: TrainingSpec
  /** Shards the train part is split into (scripts/scale/peer-shard.ts): the peers' count, or fewer. */
  readonly dataShards: number
  readonly seed: number
}

/** Peer `node`'s local training from `weights`, or the accuracy of `weights` on the common test part. */
export type PoolRequest =
  | { readonly op: 'train', readonly id: number, readonly node: number, readonly weights: Float32Array }
  | { readonly op: 'test', readonly id: number, readonly weights: Float32Array }

/** The answer; `cpuMs` is this thread's CPU time for a training. */
export type PoolReply =
  | { readonly id: number, readonly ok: true, readonly op: 'train', readonly weights: Float32Array, readonly loss: number, readonly sampleCount: number, readonly cpuMs: number }
  | { readonly id: number, readonly ok: true, readonly op: 'test', readonly accuracy: number }
  | { readonly id: number, readonly ok: false, readonly message: string }

if (parentPort === null) throw new Error('training-worker.ts must run as a worker thread (training-pool.ts starts it)')
const port = parentPort
const { model, training, dataShards, seed } = workerData as TrainingWorkerData
await useBackend('wasm')
const dataset = loadDataset({ kind: 'mnist' })
const sgds = new Map<number, SimulationSgd>()
const shardOptions = (node: number) => ({ model, training, data: { kind: 'mnist' } as const, ...peerShard(node, dataShards, seed) })
// Evaluation on the common test part needs no particular shard: peer 0's.
const evaluator = new TrainingCore(model, training, trainingShardOf(dataset, shardOptions(0)), seed)

function sgdOf (node: number): SimulationSgd {
  let sgd = sgds.get(node)
  if (sgd === undefined) sgds.set(node, sgd = SimulationSgd.fromShard(shardOptions(node), trainingShardOf(dataset, shardOptions(node))))
  return sgd
}

function answer (request: PoolRequest): PoolReply {
  if (request.op === 'test') return { id: request.id, ok: true, op: 'test', accuracy: evaluator.evaluate(request.weights, 'test').accuracy }
  const start = process.threadCpuUsage()
  const result = sgdOf(request.node).train(request.weights)
  const spent = process.threadCpuUsage(start)
  return { id: request.id, ok: true, op: 'train', weights: result.weights, loss: result.loss, sampleCount: result.sampleCount, cpuMs: (spent.user + spent.system) / 1000 }
}

port.on('message', (request: PoolRequest) => {
  let reply: PoolReply
  try {
    reply = answer(request)
  } catch (err) {
    reply = { id: request.id, ok: false, message: err instanceof Error ? err.message : String(err) }
  }
  port.postMessage(reply, reply.ok && reply.op === 'train' ? [reply.weights.buffer as ArrayBuffer] : [])
})
port.postMessage('ready')
