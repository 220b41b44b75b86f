/**
 * Simulation training benchmark: CPU milliseconds of one plain SGD step of the default manifest's
 * model (784-64-10, batch 32) by TrainingCore (the daemon's: tfjs's automatic gradient, each
 * layer's product differentiated by transposed copies, model/dense-model.ts) and by
 * SimulationSgd (the simulations': the backward pass written out, its step in WebAssembly, and
 * the same step with tfjs, which it matches bit for bit), and their ratios; also one
 * [32,784]x[784,64] matMul untransposed, and the kernel gradient's [784,32]x[32,64] (the same
 * multiply-adds) with its left side transposed, as tf.matMul's own gradient asks for it, which
 * the wasm backend runs outside XNNPACK.
 *
 *   npm run bench:sim-training [-- --backend wasm|cpu|tensorflow] [-- --json]
 *
 * CPU time (process.cpuUsage), median of interleaved repetitions, so that other work on the
 * machine moves the figures less than wall time would; the data are seeded random features.
 */
import { parseArgs } from 'node:util'
import { parseBackendChoice } from '../src/model/index.ts'
import { SimulationSgd, TrainingCore, useBackend } from '../src/model/tfjs.ts'
import { tf } from '../src/model/tf.ts'
import { DEFAULT_MANIFEST } from '../src/protocol/index.ts'
import { syntheticShard } from './synthetic-shard.ts'

const TRAIN_EXAMPLES = 3750
const STEPS_PER_REP = 20
const REPS = 9

const { values } = parseArgs({ options: { backend: { type: 'string', default: 'wasm' }, json: { type: 'boolean', default: false } } })
const backend = await useBackend(parseBackendChoice(values.backend))
const { model, training } = DEFAULT_MANIFEST
const shard = syntheticShard(model, TRAIN_EXAMPLES)
const core = new TrainingCore(model, training, shard, 1)
const sgd = new SimulationSgd(model, training, shard, 1)
const tfjsSgd = new SimulationSgd(model, training, shard, 1, 'tfjs')

/** CPU milliseconds of one call of `run`. */
function cpuMs (run: () => void): number {
  const start = process.cpuUsage()
  run()
  const used = process.cpuUsage(start)
  return (used.user + used.system) / 1000
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

let coreWeights: Float32Array = core.initialWeights()
let sgdWeights: Float32Array = coreWeights.slice()
let tfjsSgdWeights: Float32Array = coreWeights.slice()
core.train(coreWeights, 2)
sgd.train(sgdWeights, 2)
tfjsSgd.train(tfjsSgdWeights, 2)
const coreTimes: number[] = []
const sgdTimes: number[] = []
const tfjsSgdTimes: number[] = []
for (let r = 0; r < REPS; r++) {
  coreTimes.push(cpuMs(() => { coreWeights = core.train(coreWeights, STEPS_PER_REP).weights }) / STEPS_PER_REP)
  sgdTimes.push(cpuMs(() => { sgdWeights = sgd.train(sgdWeights, STEPS_PER_REP).weights }) / STEPS_PER_REP)
  tfjsSgdTimes.push(cpuMs(() => { tfjsSgdWeights = tfjsSgd.train(tfjsSgdWeights, STEPS_PER_REP).weights }) / STEPS_PER_REP)
}

const a = tf.randomNormal([32, 784])
const b = tf.randomNormal([784, 64])
const c = tf.randomNormal([32, 64])
const matMulMs = (transposeA: boolean): number => median(Array.from({ length: REPS }, () => cpuMs(() => {
  // Fresh operands every call, as in training (XNNPACK packs the right-hand side again).
  for (let i = 0; i < STEPS_PER_REP; i++) tf.tidy(() => { (transposeA ? tf.matMul(tf.clone(a), tf.clone(c), true, false) : tf.matMul(tf.clone(a), tf.clone(b))).dataSync() })
}) / STEPS_PER_REP))
const untransposedMs = matMulMs(false)
const transposedMs = matMulMs(true)

const trainingCoreStepMs = median(coreTimes)
const simulationSgdStepMs = median(sgdTimes)
const tfjsSimulationSgdStepMs = median(tfjsSgdTimes)
const result = {
  backend, model: '784-64-10', batchSize: training.batchSize,
  trainingCoreStepMs, simulationSgdStepMs, stepRatio: trainingCoreStepMs / simulationSgdStepMs,
  tfjsSimulationSgdStepMs, wasmStepRatio: tfjsSimulationSgdStepMs / simulationSgdStepMs,
  matMulMs: untransposedMs, transposedMatMulMs: transposedMs, transposedRatio: transposedMs / untransposedMs
}
if (values.json) console.log(JSON.stringify(result))
else {
  console.log(`${backend}: SGD step (CPU ms) TrainingCore ${trainingCoreStepMs.toFixed(3)}, SimulationSgd ${simulationSgdStepMs.toFixed(3)}, ratio ${result.stepRatio.toFixed(2)}`)
  console.log(`${backend}: SimulationSgd's step with tfjs ${tfjsSimulationSgdStepMs.toFixed(3)} CPU ms, in WebAssembly ${simulationSgdStepMs.toFixed(3)} (ratio ${result.wasmStepRatio.toFixed(2)}, the same bits)`)
  console.log(`${backend}: matMul [32,784]x[784,64] (CPU ms) ${untransposedMs.toFixed(3)}; x^T dz [784,32]x[32,64] as transposeA ${transposedMs.toFixed(3)} (ratio ${result.transposedRatio.toFixed(2)}, the same 1.6M multiply-adds)`)
}
process.exit(0)
