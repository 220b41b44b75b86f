// The worker thread behind ModelTrainer: loads its shard, then answers train and evaluate calls
// one at a time. See worker-messages.ts for what crosses the thread boundary.
import { parentPort } from 'node:worker_threads'
import { useBackend } from './backend.ts'
import { TrainingCore } from './training-core.ts'
import { loadTrainingShard, samplingSeed } from './training-shard.ts'
import type { TrainerOptions } from './trainer.ts'
import type { WorkerHello, WorkerReply, WorkerRequest } from './worker-messages.ts'
import { serializeError } from './worker-messages.ts'
import { moduleWorkerData } from './module-worker.ts'

if (parentPort === null) throw new Error('train-worker.ts must run as a worker thread (ModelTrainer starts it)')
const port = parentPort

try {
  const options = moduleWorkerData() as TrainerOptions
  const backend = await useBackend(options.backend ?? 'auto')
  const shard = loadTrainingShard(options)
  const core = new TrainingCore(options.model, options.training, shard, samplingSeed(options))
  port.on('message', (request: WorkerRequest) => {
    let reply: WorkerReply
    try {
      const result = request.op === 'train'
        ? core.train(request.weights, request.steps, request.batchSeed)
        : request.op === 'train-private' ? core.trainPrivately(request.weights, request.privacy) : core.evaluate(request.weights, request.split)
      reply = { id: request.id, ok: true, result }
    } catch (err) {
      reply = { id: request.id, ok: false, error: serializeError(err) }
    }
    const transfer = reply.ok && 'weights' in reply.result ? [reply.result.weights.buffer as ArrayBuffer] : []
    port.postMessage(reply, transfer)
  })
  const hello: WorkerHello = {
    kind: 'ready',
    backend,
    parameterCount: core.parameterCount,
    datasetFingerprint: shard.fingerprint,
    shardSize: { train: shard.train.count, holdout: shard.holdout.count },
    testSize: shard.testCount,
    standardized: shard.standardized === true
  }
  port.postMessage(hello)
} catch (err) {
  const hello: WorkerHello = { kind: 'failed', error: serializeError(err) }
  port.postMessage(hello)
}

