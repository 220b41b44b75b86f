/**
 * N peers in one process: the node's own round loop, announcement validation and aggregation
 * (RoundLoop over InProcessNetwork, the default manifest's rule) on the main thread, and each
 * peer's local training of its shard of MNIST on a pool of worker threads (training-pool.ts:
 * SimulationSgd, the daemon's SGD with the backward pass written out; one shared copy of the
 * data set per thread), with a fanout sample of 8 peers per round.
 *
 *   npm run simulate -- --nodes 1000 --rounds 50 [--fanout 8] [--data-shards 16] [--threads 2] [--json]
 *
 * Prints, per round, when the last peer closed it; at the end the figures (with --json: one JSON
 * object on stdout): wall time, CPU per node per round (all, and without local training), bytes
 * per node per round (announcements received plus models fetched), signature checks per
 * publication, every node's final accuracy on the common test split, peak RSS of the process.
 * The threads train every peer in turn, so a round lasts about N local trainings over the
 * threads: the manifest's deadline is set above that (ROUND_DEADLINE_MS_PER_PEER per peer). The
 * loops go by a clock of the process's own CPU time over the cores (simulation-clock.ts), not the
 * wall clock, so other work on the machine does not run their deadlines out or make them repeat
 * announcements; `clockSeconds` is the run's length on it: what it would take with the cores to itself.
 */
import { availableParallelism } from 'node:os'
import { readFileSync } from 'node:fs'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createAggregator } from '../../src/aggregation/index.ts'
import { initialWeights, loadDataset, trainingShardOf } from '../../src/model/index.ts'
import { InProcessNetwork, RoundLoop, silentLogger } from '../../src/round/index.ts'
import type { LocalTrainer } from '../../src/round/index.ts'
import { DEFAULT_MANIFEST, networkId, parameterCount } from '../../src/protocol/index.ts'
import type { NetworkManifest } from '../../src/protocol/index.ts'
import { simulatedPeerKey } from '../simulated-peer-key.ts'
import { SimulationClock } from './simulation-clock.ts'
import { TrainingPool } from './training-pool.ts'
import { peerShard } from './peer-shard.ts'

/** Round deadline per simulated peer, ms: the training threads train them all, one after another. */
const ROUND_DEADLINE_MS_PER_PEER = 200

export interface SimulationOptions {
  readonly nodes: number
  readonly rounds: number
  readonly fanout: number
  readonly seed?: number
  /**
   * Shards MNIST's train part is split into (scripts/scale/peer-shard.ts): with fewer than
   * `nodes`, every peer holds as many examples as a peer of a `dataShards`-peer network.
   * @default nodes
   */
  readonly dataShards?: number
  /** Training threads. @default the machine's available parallelism */
  readonly threads?: number
  /** Called when the last peer has closed a round, with the wall time and the round clock's time since the start, s. */
  readonly onRound?: (round: number, seconds: number, clockSeconds: number) => void
}

export interface SimulationResult {
  readonly nodes: number
  readonly rounds: number
  readonly fanout: number
  readonly rule: string
  readonly wallSeconds: number
  /** The rounds' length on the round clock (process CPU over the cores): the wall time with the cores to itself, s. */
  readonly clockSeconds: number
  /** Process CPU (user + system) per node per round, ms. */
  readonly cpuMsPerNodePerRound: number
  /** The same without local training (the protocol: validation, fetching, aggregation, bookkeeping), ms. */
  readonly protocolCpuMsPerNodePerRound: number
  /** Local training per node per round, ms of CPU (each training thread's own, around each call). */
  readonly trainingMsPerNodePerRound: number
  /** Announcement bytes received plus model bytes fetched, per node per round. */
  readonly bytesPerNodePerRound: number
  readonly announcementBytesPerNodePerRound: number
  readonly modelBytesPerNodePerRound: number
  /** Announcements published (repeats included) per node per round. */
  readonly publicationsPerNodePerRound: number
  /** Signature checks per announcement published (repeats make it below 1). */
  readonly verificationsPerPublication: number
  /** Node-rounds in which the node kept its own model (too few inputs), of nodes x rounds. */
  readonly keptOwnRounds: number
  /** Node-rounds that closed at the deadline rather than on the quorum. */
  readonly deadlineRounds: number
  readonly accuracy: { readonly min: number, readonly mean: number, readonly max: number }
  readonly trainExamplesPerNode: number
  /** Shards of the train part (the peers' count: disjoint shards). */
  readonly dataShards: number
  readonly peakRssMiB: number
  /** Training threads the run used. */
  readonly threads: number
}

export async function simulate (options: SimulationOptions): Promise<SimulationResult> {
  const { nodes, rounds, fanout } = options
  const seed = options.seed ?? 1
  const dataShards = options.dataShards ?? nodes
  const manifest: NetworkManifest = {
    ...DEFAULT_MANIFEST,
    name: `meshtrain-simulation-${nodes}`,
    rounds: { quorum: Math.min(nodes - 1, fanout), deadlineMs: Math.max(15_000, nodes * ROUND_DEADLINE_MS_PER_PEER), window: 2, fanout }
  }
  const id = networkId(manifest)
  const aggregator = createAggregator(manifest.aggregation)
  const threads = options.threads ?? availableParallelism()
  const pool = await TrainingPool.start(threads, { model: manifest.model, training: manifest.training, dataShards, seed })
  const dataset = loadDataset({ kind: 'mnist' })
  // The round window's worth of payloads per peer (W + 1 = 3), not a daemon's 8: memory for 1,000 peers.
  const network = new InProcessNetwork({ recentPayloads: manifest.rounds.window + 1 })
  let closedAtDeadline = 0
  let keptOwn = 0
  let trainExamplesPerNode = 0
  const finished = new Map<number, number>()
  let roundClock = Date.now()
  let clockStart = 0
  const cpuStart = process.cpuUsage()
  const controller = new AbortController()
  const loops: RoundLoop[] = []
  const clock = new SimulationClock(availableParallelism())
  const start = initialWeights(manifest.model, manifest.training.initSeed)
  for (let index = 0; index < nodes; index++) {
    const shard = trainingShardOf(dataset, { model: manifest.model, training: manifest.training, data: { kind: 'mnist' }, ...peerShard(index, dataShards, seed) })
    if (index === 0) trainExamplesPerNode = shard.train.count
    const privateKey = await simulatedPeerKey(seed, index)
    const peerId = peerIdFromPrivateKey(privateKey).toString()
    const local: LocalTrainer = {
      train: async weights => await pool.train(index, weights),
      // Measured once at the end, on the common test split.
      evaluateHoldout: async () => ({ accuracy: NaN, loss: NaN })
    }
    loops.push(new RoundLoop({
      manifest, networkId: id, privateKey, peerId, parameterCount: parameterCount(manifest.model), datasetFingerprint: shard.fingerprint,
      startRound: 0, startWeights: start, rounds
    }, {
      network: network.join(peerId),
      trainer: local,
      aggregator,
      log: silentLogger,
      clock,
      onRound: summary => {
        if (summary.keptOwn) keptOwn++
        if (summary.inputs - 1 < Math.min(nodes - 1, fanout)) closedAtDeadline++
        const done = (finished.get(summary.round) ?? 0) + 1
        finished.set(summary.round, done)
        if (done === nodes) options.onRound?.(summary.round, (Date.now() - roundClock) / 1000, (clock.now() - clockStart) / 1000)
      }
    }))
  }
  const setupCpu = process.cpuUsage(cpuStart)
  const runStartedAt = Date.now()
  roundClock = runStartedAt
  clockStart = clock.now()
  const finals = await Promise.all(loops.map(loop => loop.run(controller.signal)))
  const cpu = process.cpuUsage(cpuStart)
  const wallSeconds = (Date.now() - runStartedAt) / 1000
  const clockSeconds = (clock.now() - clockStart) / 1000
  const cpuMs = (cpu.user + cpu.system - setupCpu.user - setupCpu.system) / 1000
  const trainingMs = pool.cpuMs
  const accuracies = await Promise.all(finals.map(async (weights, i) => await pool.testAccuracy(weights, i)))
  await pool.close()
  const traffic = network.traffic()
  const nodeRounds = nodes * rounds
  return {
    nodes,
    rounds,
    fanout,
    rule: aggregator.name,
    wallSeconds,
    clockSeconds,
    cpuMsPerNodePerRound: cpuMs / nodeRounds,
    protocolCpuMsPerNodePerRound: (cpuMs - trainingMs) / nodeRounds,
    trainingMsPerNodePerRound: trainingMs / nodeRounds,
    bytesPerNodePerRound: (traffic.announcementBytes + traffic.payloadBytes) / nodeRounds,
    announcementBytesPerNodePerRound: traffic.announcementBytes / nodeRounds,
    modelBytesPerNodePerRound: traffic.payloadBytes / nodeRounds,
    publicationsPerNodePerRound: traffic.publications / nodeRounds,
    verificationsPerPublication: traffic.verifications / traffic.publications,
    keptOwnRounds: keptOwn,
    deadlineRounds: closedAtDeadline,
    accuracy: { min: Math.min(...accuracies), mean: accuracies.reduce((a, b) => a + b, 0) / accuracies.length, max: Math.max(...accuracies) },
    trainExamplesPerNode,
    dataShards,
    peakRssMiB: peakRssMiB(process.pid),
    threads
  }
}

/** VmHWM of a process (its peak resident set), MiB; NaN where /proc is missing. */
export function peakRssMiB (pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find(l => l.startsWith('VmHWM:'))
    return line === undefined ? NaN : Number(line.replace(/\D+/g, '')) / 1024
  } catch {
    return NaN
  }
}

function flag (name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`)
  if (at === -1) return fallback
  const value = Number(process.argv[at + 1])
  if (!Number.isInteger(value) || value < (name === 'nodes' ? 2 : 1)) {
    process.stderr.write(`simulate: --${name}: got ${JSON.stringify(process.argv[at + 1])}, expected a whole number of at least ${name === 'nodes' ? 2 : 1}\n`)
    process.exit(2)
  }
  return value
}

if (import.meta.main) {
  const json = process.argv.includes('--json')
  const say = (line: string): void => { (json ? process.stderr : process.stdout).write(`${line}\n`) }
  const nodes = flag('nodes', 16)
  const options = { nodes, rounds: flag('rounds', 10), fanout: flag('fanout', 8), seed: flag('seed', 1), dataShards: flag('data-shards', nodes), threads: flag('threads', availableParallelism()) }
  if (options.dataShards > nodes) {
    process.stderr.write(`simulate: --data-shards: got ${options.dataShards}, expected a whole number from 1 to --nodes (${nodes})\n`)
    process.exit(2)
  }
  say(`simulate: ${options.nodes} peers in one process, ${options.rounds} rounds, fanout ${options.fanout}, the default rule, MNIST in ${options.dataShards} shards${options.dataShards < nodes ? ' (groups of peers split it anew)' : ''}, ${options.threads} training threads`)
  const result = await simulate({ ...options, onRound: (round, seconds, clockSeconds) => say(`round ${round + 1}/${options.rounds} closed by every peer at ${seconds.toFixed(1)} s (${clockSeconds.toFixed(1)} s of the round clock)`) })
  if (json) process.stdout.write(JSON.stringify(result) + '\n')
  else {
    say(`wall ${result.wallSeconds.toFixed(1)} s (round clock ${result.clockSeconds.toFixed(1)} s); per node per round: CPU ${result.cpuMsPerNodePerRound.toFixed(1)} ms (protocol ${result.protocolCpuMsPerNodePerRound.toFixed(1)} ms, training ${result.trainingMsPerNodePerRound.toFixed(1)} ms), ${(result.bytesPerNodePerRound / 1024).toFixed(0)} KiB (announcements ${(result.announcementBytesPerNodePerRound / 1024).toFixed(0)} KiB, models ${(result.modelBytesPerNodePerRound / 1024).toFixed(0)} KiB), ${result.publicationsPerNodePerRound.toFixed(2)} publications`)
    say(`signature checks per publication ${result.verificationsPerPublication.toFixed(3)}; kept own ${result.keptOwnRounds}, closed at the deadline ${result.deadlineRounds} of ${options.nodes * options.rounds} node-rounds`)
    say(`test accuracy min ${result.accuracy.min.toFixed(4)} mean ${result.accuracy.mean.toFixed(4)} max ${result.accuracy.max.toFixed(4)} (${result.trainExamplesPerNode} train examples per node); peak RSS ${result.peakRssMiB.toFixed(0)} MiB`)
  }
  process.exit(0)
}
