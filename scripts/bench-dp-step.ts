/**
 * DP-SGD step benchmark: milliseconds of one plain SGD step and one DP-SGD step (Poisson
 * sampling, per-example clipping from one batched pass, CSPRNG noise on every parameter) of the
 * default manifest's model (784-64-10, batch 32) on one backend, and their ratio. Issue 15's
 * target: a DP-SGD step costs at most 2x a plain step on the wasm backend.
 *
 *   npm run bench:dp-step [-- --backend wasm|cpu|tensorflow] [-- --json]
 *
 * The data are seeded random features (timing does not depend on their values): 3,750 training
 * examples, a sixteenth of MNIST's training set, as a node of the 16-node benchmark holds.
 */
import { parseArgs } from 'node:util'
import { parseBackendChoice } from '../src/model/index.ts'
import { TrainingCore, useBackend } from '../src/model/tfjs.ts'
import { DEFAULT_MANIFEST } from '../src/protocol/index.ts'
import { syntheticShard } from './synthetic-shard.ts'

const TRAIN_EXAMPLES = 3750
const STEPS_PER_REP = 20
const REPS = 7
/** Issue 15's bound on the DP-SGD step's cost, as a ratio to the plain step on wasm. */
const TARGET_RATIO = 2

const { values } = parseArgs({ options: { backend: { type: 'string', default: 'wasm' }, json: { type: 'boolean', default: false } } })
const backend = await useBackend(parseBackendChoice(values.backend))
const { model, training } = DEFAULT_MANIFEST
const shard = syntheticShard(model, TRAIN_EXAMPLES)
const core = new TrainingCore(model, training, shard, 1)
const privacy = { clipNorm: 1, noiseMultiplier: 1.1 }

/** Median milliseconds per step over REPS repetitions of STEPS_PER_REP steps, after one warm-up. */
function msPerStep (run: (weights: Float32Array) => Float32Array): number {
  let weights = run(core.initialWeights())
  const times: number[] = []
  for (let r = 0; r < REPS; r++) {
    const start = performance.now()
    weights = run(weights)
    times.push((performance.now() - start) / STEPS_PER_REP)
  }
  return times.sort((a, b) => a - b)[Math.floor(REPS / 2)] as number
}

const plainStepMs = msPerStep(w => core.train(w, STEPS_PER_REP).weights)
const dpStepMs = msPerStep(w => core.trainPrivately(w, privacy, STEPS_PER_REP).weights)
const dpStepRatio = dpStepMs / plainStepMs
const result = { backend, model: '784-64-10', batchSize: training.batchSize, trainExamples: TRAIN_EXAMPLES, plainStepMs, dpStepMs, dpStepRatio, targetRatio: TARGET_RATIO }
if (values.json) console.log(JSON.stringify(result))
else console.log(`${backend}: plain SGD step ${plainStepMs.toFixed(3)} ms, DP-SGD step ${dpStepMs.toFixed(3)} ms, ratio ${dpStepRatio.toFixed(2)} (target at most ${TARGET_RATIO} on wasm)`)
process.exit(0)
