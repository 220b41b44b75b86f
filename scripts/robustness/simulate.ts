/**
 * One robustness scenario in one process: NODES round loops over the in-process network (the
 * same round loop, aggregation, attack and announcement code as the daemon), real tfjs training
 * with InProcessTrainer, one shared copy of the data set.
 * Run directly, it runs the scenario given as JSON in argv[2] and writes the result to argv[3].
 */
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createAggregator, mean } from '../../src/aggregation/index.ts'
import type { Aggregator } from '../../src/aggregation/index.ts'
import { featureValues, loadDataset, parsePartition, trainingShardOf } from '../../src/model/index.ts'
import { InProcessTrainer, SimulationSgd, TrainingCore } from '../../src/model/tfjs.ts'
import type { DataSource, Dataset, TrainingShard } from '../../src/model/index.ts'
import { Adversary, Collusion, attackLabelMap, parseAttack, usesOwnModel } from '../../src/adversary/index.ts'
import { InProcessNetwork } from '../../src/round/index.ts'
import { silentLogger } from '../../src/round/index.ts'
import { RoundLoop } from '../../src/round/index.ts'
import type { LocalTrainer, RoundSummary } from '../../src/round/index.ts'
import { DEFAULT_MANIFEST, networkId } from '../../src/protocol/index.ts'
import type { AggregationSpec, NetworkManifest } from '../../src/protocol/index.ts'
import { computeEpsilon, smallestNoiseMultiplier } from '../../src/privacy/index.ts'
import { BATCH_SIZE, EVAL_EVERY, LEARNING_RATE, LOCAL_STEPS, MEMORY_CEILING, MEMORY_STRICT_THRESHOLD, MEMORY_THRESHOLD, NODES, SIMULATION_VERSION } from './scenarios.ts'
import type { Scenario } from './scenarios.ts'
import { simulatedPeerKey } from '../simulated-peer-key.ts'
import { SharedAggregation } from './shared-aggregation.ts'
import { IdleClock } from './idle-clock.ts'

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist'
/** Test examples used for the accuracy curve every EVAL_EVERY rounds; the final figures use the whole test set. */
const CURVE_TEST_EXAMPLES = 2000
/**
 * Round deadline, on the run's IdleClock (idle-clock.ts): simulated time, which moves only when
 * every loop and attacker waits on it, so a deadline, a stand-in pause or an omniscient attacker's
 * wait (half a deadline) runs out only when what it waits for cannot come, however busy the
 * machine. On the wall clock they ran out under load: at a 10 s deadline attackers crafted from 8
 * of 13 honest models, and at 60 s and load 100 a scenario still aggregated fewer models than idle.
 * Crashed nodes are left out of the quorum instead.
 */
const DEADLINE_MS = 60_000

export interface ScenarioResult {
  readonly id: string
  readonly scenario: Scenario
  /** The simulation's version (scenarios.ts, SIMULATION_VERSION); absent in results of version 1. */
  readonly simulation?: number
  readonly data: string
  /** Final test accuracy (whole test set) of each honest node. */
  readonly honestAccuracies: number[]
  readonly worstAccuracy: number
  readonly meanAccuracy: number
  /** Test accuracy of the average of the honest nodes' final models. */
  readonly averagedModelAccuracy: number
  /** Ξ²: mean squared distance of the honest models from their average, at the end. */
  readonly consensusDistance: number
  /** First measured round at which the mean honest accuracy (curve test subset) reached 0.80; null if never. */
  readonly roundsTo80: number | null
  readonly aggregationMs: number
  readonly bytesPerNodePerRound: number
  readonly wallSeconds: number
  /**
   * CPU seconds (user + system) of the run, without the process's start-up (module loading, and
   * the data set, which a process loads once for every scenario it runs); absent in older results.
   */
  readonly cpuSeconds?: number
  /** Of cpuSeconds, those spent before the swarm starts: shards and trainers. */
  readonly setupCpuSeconds?: number
  /** Of cpuSeconds, those spent after the last round: the final accuracies on the whole test set, once per run whatever its rounds. */
  readonly finalCpuSeconds?: number
  /** CPU seconds this run spent loading the data set: 0 when its process had loaded it for an earlier scenario. */
  readonly dataCpuSeconds?: number
  /** CPU seconds of the whole process when the run ended: for its first scenario, module loading + data set + the run. */
  readonly processCpuSeconds?: number
  /** Honest rounds in which too few inputs arrived and the node kept its own model. */
  readonly keptOwnRounds: number
  /** An honest node's model, or its local training from an aggregated model, went non-finite (the run stops there). */
  readonly nonFinite: boolean
  /** Honest nodes that did not finish every round. */
  readonly stalledNodes: number
  readonly curve: { round: number, mean: number, worst: number }[]
  /** With DP-SGD (bench:privacy): the budget, and each honest node's sigma, sampling rate and epsilon recomputed from its steps. */
  readonly privacy?: PrivacyReport
}

/** DP-SGD for the honest nodes (scripts/bench-privacy.ts): each takes the smallest sigma that keeps the scenario's rounds within the budget at its own sampling rate. */
export interface PrivacyRun {
  readonly epsilon: number
  readonly delta: number
  readonly clipNorm: number
  /** The private swarm's own training settings (its manifest's), when they differ from the benchmark's. */
  readonly training?: { readonly batchSize: number, readonly localSteps: number, readonly learningRate: number }
}

export interface PrivacyReport extends PrivacyRun {
  readonly noiseMultipliers: number[]
  readonly samplingRates: number[]
  readonly stepsTaken: number[]
  readonly epsilonSpent: number[]
}

/** Fashion-MNIST when Debian's dataset-fashion-mnist is installed, else the built-in MNIST (with a warning). */
export function benchmarkData (): { source: DataSource, name: string } {
  if (existsSync(FASHION_MNIST_DIR)) return { source: { kind: 'idx', dir: FASHION_MNIST_DIR }, name: 'fashion-mnist' }
  console.warn(`warning: ${FASHION_MNIST_DIR} not found (sudo apt-get install dataset-fashion-mnist); falling back to the built-in MNIST digits`)
  return { source: { kind: 'mnist' }, name: 'mnist (fallback)' }
}

function aggregationSpec (s: Scenario): AggregationSpec {
  if (s.rule === 'mean' || s.rule === 'local') return { rule: 'mean' }
  // 'median+nnm': the median after nearest-neighbour mixing; 'median+bucketing': over random buckets
  // of 2; 'RULE+memory': RULE behind the peer-alignment memory (scenarios.ts, MEMORY_THRESHOLD);
  // '+own': the memory measuring against the node's own update too (alignmentWithOwn); '+ceiling':
  // each round counting at most MEMORY_CEILING (alignmentCeiling); '+strict': at MEMORY_STRICT_THRESHOLD;
  // '+arc': adaptive robust clipping around the own model before the mixing (arc).
  const [rule, ...wrappers] = s.rule.split('+') as [string, ...string[]]
  // The rule is set to survive the scenario's f; with a sampled fanout, the most its k+1 inputs allow.
  const inputs = s.fanout === 0 ? NODES : s.fanout + 1
  let f = Math.max(1, s.byzantine === 0 ? 3 : s.byzantine)
  const spec = (g: number): AggregationSpec => ({
    rule,
    ...(rule === 'trimmed-mean' ? { b: g } : { f: g }),
    ...(wrappers.includes('nnm') ? { nnm: true } : {}),
    ...(wrappers.includes('bucketing') ? { bucketing: 2, seed: s.seed } : {}),
    ...(wrappers.includes('memory') ? { alignmentThreshold: wrappers.includes('strict') ? MEMORY_STRICT_THRESHOLD : MEMORY_THRESHOLD } : {}),
    ...(wrappers.includes('own') ? { alignmentWithOwn: true } : {}),
    ...(wrappers.includes('ceiling') ? { alignmentCeiling: MEMORY_CEILING } : {}),
    ...(wrappers.includes('arc') ? { arc: true } : {})
  })
  while (f > 1 && createAggregator(spec(f)).minInputs > inputs) f--
  return spec(f)
}

/** Data sets by source, for the scenarios that one process runs in turn (read-only once loaded). */
const loadedDatasets = new Map<string, Dataset>()

function datasetOf (source: DataSource): Dataset {
  const key = JSON.stringify(source)
  let dataset = loadedDatasets.get(key)
  if (dataset === undefined) loadedDatasets.set(key, dataset = loadDataset(source))
  return dataset
}

/** Called with every honest node's round summary (`node` is its index), for diagnostics (alignment-probe.ts); `colluders` are the attackers' peer ids. */
export type RoundObserver = (node: number, summary: RoundSummary, colluders: readonly string[]) => void

export async function runScenario (s: Scenario, id: string, privacy?: PrivacyRun, observe?: RoundObserver): Promise<ScenarioResult> {
  const startedAt = Date.now()
  const dataStartCpu = cpuSecondsSoFar()
  const { source, name } = benchmarkData()
  const dataset = datasetOf(source)
  const startCpu = cpuSecondsSoFar()
  const manifest: NetworkManifest = {
    ...DEFAULT_MANIFEST,
    name: `robustness-${id}`,
    model: { ...DEFAULT_MANIFEST.model, ...(s.encoding === undefined ? {} : { encoding: s.encoding }) },
    training: { localSteps: LOCAL_STEPS, batchSize: BATCH_SIZE, learningRate: LEARNING_RATE, ...privacy?.training, initSeed: s.seed },
    aggregation: aggregationSpec(s),
    // Every expected announcer closes the round (attackers included, so that late omniscient models
    // land); crashed attackers are not expected.
    rounds: { quorum: NODES - 1 - (s.attack.startsWith('crash') ? s.byzantine : 0), deadlineMs: DEADLINE_MS, window: 2, ...(s.fanout > 0 ? { fanout: s.fanout } : {}) }
  }
  const attack = s.attack === 'none' ? undefined : parseAttack(s.attack)
  const honestCount = NODES - s.byzantine
  const trainers: InProcessTrainer[] = []
  // Each node's plain SGD (the same shard, batches and seed as its trainer's core), with the
  // backward pass written out: src/model/simulation-sgd.ts, 2.5 to 2.7 times less CPU per step.
  const sgds: SimulationSgd[] = []
  for (let index = 0; index < NODES; index++) {
    const byzantine = index >= honestCount
    const options = {
      model: manifest.model, training: manifest.training, data: source, shard: { index, count: NODES },
      partition: parsePartition(s.partition), seed: s.seed, backend: 'wasm' as const,
      labelMap: byzantine ? attackLabelMap(attack) : 'identity' as const
    }
    const shard = trainingShardOf(dataset, options)
    trainers.push(await InProcessTrainer.fromShard(options, shard))
    sgds.push(SimulationSgd.fromShard(options, shard))
  }
  const setupCpuSeconds = cpuSecondsSoFar() - startCpu
  const reference = trainers[0] as InProcessTrainer
  const curveAccuracy = accuracyOnTest(evaluator(reference, dataset, CURVE_TEST_EXAMPLES))
  const curveAt = new Map<number, number[]>()
  let nonFinite = false
  // Once per model object, like the accuracy: the honest loops of a complete graph share one aggregate.
  const finite = new WeakMap<Float32Array, boolean>()
  const record = (round: number, weights: Float32Array): boolean => {
    let ok = finite.get(weights)
    if (ok === undefined) finite.set(weights, ok = allFinite(weights))
    if (!ok) { nonFinite = true; return false }
    if ((round + 1) % EVAL_EVERY !== 0 && round !== s.rounds - 1) return true
    let list = curveAt.get(round)
    if (list === undefined) curveAt.set(round, list = [])
    list.push(curveAccuracy(weights))
    return true
  }

  const privateTraining = privacy === undefined ? undefined : planPrivateTraining(privacy, trainers.slice(0, honestCount), s.rounds * manifest.training.localSteps)
  const summaries: RoundFigures[][] = Array.from({ length: honestCount }, () => [])
  const aggregationMs: number[] = []
  let finals: Float32Array[]
  if (s.rule === 'local') {
    finals = []
    for (const [i, trainer] of trainers.slice(0, honestCount).entries()) {
      const sgd = sgds[i] as SimulationSgd
      let w = trainer.initialWeights()
      for (let round = 0; round < s.rounds; round++) {
        w = sgd.train(w).weights
        record(round, w)
      }
      finals.push(w)
    }
  } else {
    finals = await runSwarm(s, manifest, trainers, sgds, honestCount, attack, summaries, aggregationMs, record, () => { nonFinite = true }, privateTraining, privacy?.clipNorm, observe)
  }

  const finalStartCpu = cpuSecondsSoFar()
  const fullAccuracy = accuracyOnTest(reference.core)
  const honestAccuracies = finals.map(w => (allFinite(w) ? fullAccuracy(w) : 0))
  const average = mean(finals)
  const averagedModelAccuracy = allFinite(average) ? fullAccuracy(average) : 0
  const consensusDistance = avg(finals.map(w => squaredDistance(w, average)))
  const curve = [...curveAt].sort(([a], [b]) => a - b).map(([round, accs]) => ({ round: round + 1, mean: avg(accs), worst: Math.min(...accs) }))
  const rounds = summaries.flat()
  const endCpu = cpuSecondsSoFar()
  return {
    id,
    scenario: s,
    simulation: SIMULATION_VERSION,
    data: name,
    honestAccuracies,
    worstAccuracy: Math.min(...honestAccuracies),
    meanAccuracy: avg(honestAccuracies),
    averagedModelAccuracy,
    consensusDistance,
    roundsTo80: curve.find(c => c.mean >= 0.8)?.round ?? null,
    // Per aggregation run: the loops of a complete graph share one per distinct set of inputs.
    aggregationMs: aggregationMs.length === 0 ? 0 : avg(aggregationMs),
    bytesPerNodePerRound: rounds.length === 0 ? 0 : avg(rounds.map(r => r.bytesFetched)),
    wallSeconds: (Date.now() - startedAt) / 1000,
    cpuSeconds: endCpu - startCpu,
    setupCpuSeconds,
    finalCpuSeconds: endCpu - finalStartCpu,
    dataCpuSeconds: startCpu - dataStartCpu,
    processCpuSeconds: endCpu,
    keptOwnRounds: rounds.filter(r => r.keptOwn).length,
    nonFinite: nonFinite || finals.some(w => !allFinite(w)),
    // A diverged run is stopped at the first non-finite honest model: its nodes did not stall.
    stalledNodes: s.rule === 'local' || nonFinite ? 0 : summaries.filter(list => list.length < s.rounds).length,
    curve,
    ...(privacy === undefined || privateTraining === undefined ? {} : { privacy: privacyReport(privacy, privateTraining) })
  }
}

/**
 * What the result needs of an honest node's round summary. Not the summary itself: its trace holds
 * every peer model of the round, and 200 rounds of them took 10 GB.
 */
type RoundFigures = Pick<RoundSummary, 'keptOwn' | 'bytesFetched'>

interface PrivateTrainingState {
  readonly noiseMultipliers: number[]
  readonly samplingRates: number[]
  readonly stepsTaken: number[]
}

function planPrivateTraining (privacy: PrivacyRun, honest: readonly InProcessTrainer[], steps: number): PrivateTrainingState {
  const samplingRates = honest.map(t => Math.min(1, t.core.training.batchSize / t.core.shard.train.count))
  return {
    samplingRates,
    noiseMultipliers: samplingRates.map(q => smallestNoiseMultiplier(privacy.epsilon, q, steps, privacy.delta)),
    stepsTaken: honest.map(() => 0)
  }
}

function privacyReport (privacy: PrivacyRun, state: PrivateTrainingState): PrivacyReport {
  return {
    ...privacy,
    ...state,
    epsilonSpent: state.stepsTaken.map((steps, i) => computeEpsilon({ samplingRate: state.samplingRates[i] as number, noiseMultiplier: state.noiseMultipliers[i] as number, steps }, privacy.delta).epsilon)
  }
}

async function runSwarm (
  s: Scenario, manifest: NetworkManifest, trainers: InProcessTrainer[], sgds: SimulationSgd[], honestCount: number,
  attack: ReturnType<typeof parseAttack> | undefined, summaries: RoundFigures[][], aggregationMs: number[], record: (round: number, w: Float32Array) => boolean,
  onDiverged: () => void, privateTraining?: PrivateTrainingState, clipNorm = 1, observe?: RoundObserver
): Promise<Float32Array[]> {
  const controller = new AbortController()
  const network = new InProcessNetwork()
  const keys = await Promise.all(trainers.map((_, i) => simulatedPeerKey(s.seed, i)))
  const ids = keys.map(k => peerIdFromPrivateKey(k).toString())
  const colluders = ids.slice(honestCount)
  const aggregator = createAggregator(manifest.aggregation)
  // The loops' rule, run once per distinct set of inputs (shared-aggregation.ts); attackers search against the rule itself.
  const shared = new SharedAggregation(aggregator, typeof manifest.aggregation.bucketing === 'number' && manifest.aggregation.bucketing > 1)
  // An attacker whose publications do not depend on its own model keeps it rather than aggregate:
  // its aggregate would only be its next round's start, which such an attack never reads.
  // The memory is the honest nodes' defence: attackers aggregate without it (their searches still
  // read its threshold from `aggregator`).
  const attackersRule: Aggregator = Object.freeze({ ...shared.aggregator, alignment: undefined })
  const attackersAggregator = attack === undefined || usesOwnModel(attack) ? attackersRule : keepingOwn(attackersRule)
  // The attackers of one scenario collude: a deterministic attack is crafted once per round for all.
  const collusion = new Collusion()
  // The time every loop and attacker goes by: it moves only when all of them wait on it.
  const clock = new IdleClock()
  const id = networkId(manifest)
  const loops = trainers.map((trainer, i) => {
    const honest = i < honestCount
    const privateKey = keys[i] as (typeof keys)[number]
    const sgd = sgds[i] as SimulationSgd
    const localTrainer: LocalTrainer = {
      // Training that diverged from an aggregated model (the mean under attack) ends the run,
      // recorded as non-finite: the rule has failed. The round loop would sit the round out and
      // the swarm wait out deadlines, which would only cost time.
      train: async w => {
        const noiseMultiplier = honest ? privateTraining?.noiseMultipliers[i] : undefined
        const trained = noiseMultiplier === undefined ? sgd.train(w) : trainPrivately(trainer, w, { clipNorm, noiseMultiplier }, privateTraining as PrivateTrainingState, i)
        if (honest && !allFinite(trained.weights)) { onDiverged(); controller.abort() }
        return trained
      },
      // Honest progress is measured on the common test set in onRound; no held-out pass needed.
      evaluateHoldout: async () => ({ accuracy: NaN, loss: NaN })
    }
    // An attacker is an honest round loop whose network (and, for omniscient attacks, trainer) the attack wraps.
    const adversary = honest || attack === undefined ? undefined : new Adversary({ attack, colluders, seed: s.seed * 1000 + i }, { aggregator, collusion })
    const memberNetwork = network.join(ids[i] as string)
    return new RoundLoop({
      manifest, networkId: id, privateKey, peerId: ids[i] as string,
      parameterCount: trainer.parameterCount, datasetFingerprint: trainer.datasetFingerprint,
      startRound: 0, startWeights: trainer.initialWeights(), rounds: s.rounds
    }, {
      network: adversary?.wrapNetwork(memberNetwork, { manifest, privateKey, parameterCount: trainer.parameterCount, clock, ...(attack?.name === 'own-loss' ? { loss: ownLoss(trainer) } : {}) }) ?? memberNetwork,
      trainer: adversary?.wrapTrainer(localTrainer, manifest) ?? localTrainer,
      aggregator: honest ? shared.aggregator : attackersAggregator,
      alignmentMeasure: shared.alignment,
      clock,
      log: silentLogger,
      onRound: summary => {
        if (!honest) return
        observe?.(i, summary, colluders)
        summaries[i]?.push({ keptOwn: summary.keptOwn, bytesFetched: summary.bytesFetched })
        // The first non-finite honest model ends the run: the rule has failed, and waiting out
        // deadlines for refused payloads would only cost time.
        if (!record(summary.round, summary.weights)) controller.abort()
      }
    })
  })
  const finals = await Promise.all(loops.map(l => l.run(controller.signal)))
  aggregationMs.push(...shared.computations)
  return finals.slice(0, honestCount)
}

/** The rule's aggregator, except that a node keeps its own model (for attackers that never use theirs). */
function keepingOwn (aggregator: Aggregator): Aggregator {
  return Object.freeze({ ...aggregator, aggregate: (own: Float32Array) => own })
}

/** One round of DP-SGD for an honest node; the loss and sample count announced in-process are placeholders (a private node would not publish them). */
function trainPrivately (trainer: InProcessTrainer, w: Float32Array, options: { clipNorm: number, noiseMultiplier: number }, state: PrivateTrainingState, node: number): { weights: Float32Array, loss: number, sampleCount: number } {
  const result = trainer.core.trainPrivately(w, options)
  state.stepsTaken[node] = (state.stepsTaken[node] as number) + result.steps
  return { weights: result.weights, loss: 0, sampleCount: result.steps * trainer.core.training.batchSize }
}

/** Training examples of its own that an own-loss attacker scores the aggregate on. */
const OWN_LOSS_EXAMPLES = 512

/** The loss of a model on the first OWN_LOSS_EXAMPLES of the attacker's own training shard. */
function ownLoss (trainer: InProcessTrainer): (weights: Float32Array) => number {
  const shard: TrainingShard = trainer.core.shard
  const count = Math.min(OWN_LOSS_EXAMPLES, shard.train.count)
  const test = { x: featureValues(shard.train.x, 0, count * shard.features), y: shard.train.y.subarray(0, count), count }
  const core = new TrainingCore(trainer.core.model, trainer.core.training, { ...shard, test }, 0)
  return weights => core.evaluate(weights, 'test').loss
}

/** A core over the reference shard whose test part is the first `count` test examples. */
function evaluator (reference: InProcessTrainer, dataset: Dataset, count: number): TrainingCore {
  const shard: TrainingShard = reference.core.shard
  const rows = Math.min(count, dataset.test.count)
  const test = { x: featureValues(dataset.test.x, 0, rows * shard.features), y: dataset.test.y.subarray(0, rows), count: rows }
  return new TrainingCore(reference.core.model, reference.core.training, { ...shard, test }, 0)
}

/**
 * Test accuracy of a model, once per model object: the loops that share an aggregate
 * (shared-aggregation.ts) hand the same object to every node, which is then evaluated once.
 */
function accuracyOnTest (core: TrainingCore): (weights: Float32Array) => number {
  const known = new WeakMap<Float32Array, number>()
  return weights => {
    let accuracy = known.get(weights)
    if (accuracy === undefined) known.set(weights, accuracy = core.evaluate(weights, 'test').accuracy)
    return accuracy
  }
}

/** No NaN or infinity (a plain loop: `every` with a callback costs several times more). */
function allFinite (weights: Float32Array): boolean {
  for (let j = 0; j < weights.length; j++) if (!Number.isFinite(weights[j])) return false
  return true
}

function squaredDistance (a: Float32Array, b: Float32Array): number {
  let sum = 0
  for (let j = 0; j < a.length; j++) sum += ((a[j] as number) - (b[j] as number)) ** 2
  return sum
}

/** CPU seconds (user + system) this process has used since it started. */
function cpuSecondsSoFar (): number {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1e6
}

function avg (xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length
}

/** One scenario for a process to run: the scenario, its id, where to write the result. */
export interface ScenarioJob {
  readonly scenario: Scenario
  readonly id: string
  readonly privacy?: PrivacyRun
  readonly out: string
}

async function runJob (job: ScenarioJob): Promise<void> {
  const result = await runScenario(job.scenario, job.id, job.privacy)
  await writeFile(job.out, JSON.stringify(result) + '\n')
}

/**
 * `simulate.ts --serve` (forked with an IPC channel, bench:robustness): run the jobs the parent
 * sends, one after another, answering each with `{ id }` once its result is written, so that
 * module loading and the data set cost once per process, not once per scenario. A failed run
 * ends the process (exit 1); it ends (exit 0) when the parent disconnects, a run in progress
 * included.
 */
function serve (): void {
  const send = process.send?.bind(process)
  if (send === undefined) throw new Error('simulate.ts --serve needs an IPC channel (child_process.fork)')
  let queue = Promise.resolve()
  process.on('message', (job: ScenarioJob) => {
    queue = queue.then(() => runJob(job)).then(() => { send({ id: job.id }) }, (err: unknown) => {
      console.error(`${job.id}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`)
      process.exit(1)
    })
  })
  // The parent is done, or gone: a result no one renames into the cache is not worth finishing.
  process.on('disconnect', () => process.exit(0))
}

if (import.meta.main) {
  const [json, out] = process.argv.slice(2)
  if (json === '--serve') {
    serve()
  } else {
    if (json === undefined || out === undefined) throw new Error('usage: simulate.ts SCENARIO_JSON OUT_FILE | simulate.ts --serve')
    const { scenario, id, privacy } = JSON.parse(json) as { scenario: Scenario, id: string, privacy?: PrivacyRun }
    await runJob({ scenario, id, out, ...(privacy === undefined ? {} : { privacy }) })
    process.exit(0)
  }
}
