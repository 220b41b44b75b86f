import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createAggregator } from '../aggregation/index.ts'
import { ModelTrainer, formatDataSource, formatPartition, parseDataSource, parsePartition } from '../model/index.ts'
import type { DataSource, PartitionScheme } from '../model/index.ts'
import { DEFAULT_MANIFEST, networkId, parameterCount } from '../protocol/index.ts'
import type { NetworkManifest } from '../protocol/index.ts'
import { attacksHelp, formatAttack, parseAttack } from '../adversary/index.ts'
import type { AttackSpec } from '../adversary/index.ts'
import { ConfigError, RuntimeFailure } from '../errors/index.ts'
import { freePorts } from '../network/index.ts'
import { DAEMON_ENVIRONMENT, DAEMON_NODE_OPTIONS, MAX_SEED, aggregatorFor, boolean, dataDirPaths, initDataDir, integerIn, loadCheckpoint, resolveSettings, settingsHelp } from '../node/index.ts'
import type { Setting, SettingsOf, StatusEvent } from '../node/index.ts'
import { formatApiAddress } from '../api-endpoint/index.ts'
import { SwarmDashboard, swarmDashboardPages } from '../api/index.ts'
import { parseCommandLine } from './args.ts'
import { COMPILED_MAIN, ensureCompiledPackage } from './compiled-main.ts'
import { accuracySvg, plotPathFor } from './swarm-plot.ts'
import { verifySwarmLedgers } from './swarm-ledgers.ts'
import { launcherPids, watchProcesses } from './parent-watch.ts'
import { STOP_DEADLINE_MS, stopOnSignals, stopWithin } from './signals.ts'
import { stderrLogger } from './stderr-logger.ts'
import { startStaggered } from './staggered-start.ts'

/** Most daemons one swarm starts: each holds a trainer and a libp2p node on this host. */
export const MAX_SWARM_NODES = 256

/**
 * Peers a swarm node samples per round once the swarm has more than this many others
 * (docs/design.md, "Scale"): its fetches, and the bytes and time of a round, stay flat as the
 * swarm grows, instead of every node fetching every other node's model.
 */
export const SWARM_FANOUT = 8

/** Round deadline of a small swarm's network, ms. */
export const SWARM_DEADLINE_MS = 5000

/** Daemons per core of the host up to which a swarm's network has the deadline {@link SWARM_DEADLINE_MS}. */
export const DAEMONS_PER_CORE = 4

/** What each daemon per core beyond {@link DAEMONS_PER_CORE} adds to a swarm's round deadline, ms. */
export const DEADLINE_MS_PER_DAEMON_PER_CORE = 2500

/**
 * The round deadline of a swarm's network, ms: {@link SWARM_DEADLINE_MS}, plus
 * {@link DEADLINE_MS_PER_DAEMON_PER_CORE} for each daemon per core beyond {@link DAEMONS_PER_CORE}
 * (50 daemons on 2 cores: 57.5 s, which the loop scales to 109 s for 49 peers). Every daemon of a
 * swarm shares one host, so a round's CPU (training, signing, serving and fetching models, the
 * ledger) grows with N on fixed cores: 50 daemons on 2 cores took 67 to 120 s a round, and with
 * half of this deadline (59 s after scaling) 25% of their node-rounds closed at it short of the
 * quorum. A round still closes as soon as its quorum is in. Pure.
 */
export function swarmDeadlineMs (nodes: number, cores: number): number {
  const perCore = nodes / Math.max(1, cores)
  return Math.round(SWARM_DEADLINE_MS + DEADLINE_MS_PER_DAEMON_PER_CORE * Math.max(0, perCore - DAEMONS_PER_CORE))
}

/** The settings of `meshtrain swarm` (flags only), with defaults sized for a 2-core machine. */
export const SWARM_SETTINGS = {
  nodes: { kind: 'integer', default: 4, defaultText: '4', arg: 'N', allowed: `a whole number from 2 to ${MAX_SWARM_NODES}`, help: 'daemons to start', parse: integerIn(2, MAX_SWARM_NODES), persistent: false },
  rounds: { kind: 'integer', default: 30, defaultText: '30', arg: 'R', allowed: 'a whole number from 1 to 100000', help: 'rounds every node trains', parse: integerIn(1, 100_000), persistent: false },
  partition: {
    kind: 'string', default: Object.freeze({ kind: 'iid' }) as PartitionScheme, defaultText: 'iid', arg: 'SCHEME', allowed: 'iid or dirichlet:ALPHA with ALPHA > 0',
    help: 'how the data is split into the nodes\' shards', parse: parsePartition, persistent: false
  },
  data: {
    kind: 'string', default: Object.freeze({ kind: 'mnist' }) as DataSource, defaultText: 'mnist', arg: 'SOURCE', allowed: 'mnist, idx:DIR or csv:FILE:LABELCOLUMN',
    help: 'training data of every node', parse: parseDataSource, persistent: false
  },
  report: { kind: 'string', default: undefined as string | undefined, defaultText: 'none', arg: 'FILE', allowed: 'a file path', help: 'write a JSON report (rounds, wallSeconds, nodes [{peerId, byzantine, accuracy, history: [{round, accuracy, loss, used, refused, durationMs, ledgerMs}]}]) and an SVG plot of accuracy per round per node beside it (FILE.svg for FILE.json)', parse: (raw: string) => raw, persistent: false },
  dir: { kind: 'string', default: undefined as string | undefined, defaultText: 'a new temporary directory', arg: 'DIR', allowed: 'a directory path', help: 'put the data directories here', parse: (raw: string) => raw, persistent: false },
  keep: { kind: 'boolean', default: undefined as boolean | undefined, defaultText: 'kept only with --dir', allowed: 'on or off', help: 'keep the data directories afterwards', parse: boolean, persistent: false },
  deadlineMs: {
    kind: 'integer', default: undefined as number | undefined, defaultText: `${SWARM_DEADLINE_MS}, plus ${DEADLINE_MS_PER_DAEMON_PER_CORE} for each daemon per core beyond ${DAEMONS_PER_CORE}`, arg: 'MS', allowed: 'a whole number from 100 to 600000',
    help: 'round deadline of the swarm\'s network, ms: a dead node costs its peers this much per round (the round loop scales it further with the peers a node knows)', parse: integerIn(100, 600_000), persistent: false
  },
  seed: { kind: 'integer', default: 1, defaultText: '1', arg: 'N', allowed: `a whole number from 0 to ${MAX_SEED}`, help: 'seed of the data split', parse: integerIn(0, MAX_SEED), persistent: false },
  byzantine: { kind: 'integer', default: 0, defaultText: '0', arg: 'F', allowed: 'a whole number below --nodes', help: 'make the last F nodes attackers; they know each other', parse: integerIn(0, MAX_SWARM_NODES), persistent: false },
  attack: {
    kind: 'string', default: undefined as AttackSpec | undefined, defaultText: 'none', arg: 'NAME[:k=v,...]', allowed: 'an attack listed below, NAME[:k=v,...]',
    help: 'what the attackers do (required with --byzantine)', parse: (raw: string) => parseAttack(raw), persistent: false
  }
} as const satisfies Record<string, Setting<unknown>>

export type SwarmOptions = SettingsOf<typeof SWARM_SETTINGS>

function swarmHelp (): string {
  return `usage: meshtrain swarm [options]

Starts N real daemons on 127.0.0.1 (no mDNS), each with its own data directory and a disjoint
shard of the training data, bootstrapped to each other; shows progress per round; prints each
node's accuracy on the common test split at the end and stops every process it started.

${settingsHelp(SWARM_SETTINGS)}

attacks (--attack NAME[:k=v,...]):
${attacksHelp()}

Attackers run the same protocol, signing and transfer code as honest nodes; omniscient ones read
the round's honest models before announcing. The final table shows honest nodes' accuracy
separately; the report marks attackers with "byzantine": true.
`
}

/** `meshtrain swarm`: parse the flags once, then run the swarm until it ends or a signal stops it. */
export async function swarmCommand (argv: string[]): Promise<void> {
  const { flags, help } = parseCommandLine(argv, SWARM_SETTINGS)
  if (help) return void process.stdout.write(swarmHelp())
  const options = resolveSettings(SWARM_SETTINGS, { flags })
  if (options.byzantine > 0 && options.attack === undefined) throw new ConfigError('attack', '--byzantine needs --attack NAME[:k=v,...]; see meshtrain swarm --help')
  if (options.byzantine >= options.nodes) throw new ConfigError('byzantine', `--byzantine: got ${options.byzantine}, expected fewer than --nodes (${options.nodes})`)
  const log = stderrLogger(false)
  const controller = stopOnSignals(log)
  // Under npm start or npx, npm being killed stops the swarm, which stops its daemons.
  const unwatch = watchProcesses(launcherPids(), pid => {
    log.warn(`process ${pid}, which started this swarm, is gone: stopping`)
    stopWithin(controller, STOP_DEADLINE_MS, log)
  })
  try {
    await runSwarm(options, controller.signal)
  } finally {
    unwatch()
  }
}

interface SwarmNode {
  readonly index: number
  readonly byzantine: boolean
  readonly peerId: string
  readonly dataDir: string
  readonly port: number
  process?: ChildProcess
  lastRound: number
  lastAccuracy: number
  /** The TensorFlow.js backend the daemon reported when ready. */
  backend?: string
  exitCode?: number | null
}

/**
 * The swarm's network: the default one, a round closing once every other node's model is in, or,
 * in a swarm of more than SWARM_FANOUT + 1 nodes, once the models of a sample of SWARM_FANOUT are.
 * @throws ConfigError naming `nodes` when the default rule needs more nodes than that.
 */
export function swarmManifest (nodes: number, deadlineMs: number): NetworkManifest {
  // Beyond SWARM_FANOUT others, a round samples that many peers and closes once their models are in.
  const sampled = nodes - 1 > SWARM_FANOUT
  const manifest: NetworkManifest = {
    ...DEFAULT_MANIFEST,
    name: `meshtrain-swarm-${nodes}`,
    rounds: { ...DEFAULT_MANIFEST.rounds, quorum: sampled ? SWARM_FANOUT : nodes - 1, deadlineMs, ...(sampled ? { fanout: SWARM_FANOUT } : {}) }
  }
  // Every node waits for the others' models, so a round has `nodes` inputs at most.
  const aggregator = createAggregator(manifest.aggregation)
  if (nodes < aggregator.minInputs) {
    throw new ConfigError('nodes', `--nodes: got ${nodes}, too few for the network's rule ${aggregator.name} with f=${aggregator.f}, which needs ${aggregator.minInputs} models a round; expected at least ${aggregator.minInputs}`)
  }
  aggregatorFor(manifest)
  return manifest
}

/** Run a local swarm to the end; resolves when every node has stopped and the report is written. */
export async function runSwarm (options: SwarmOptions, signal: AbortSignal): Promise<void> {
  const { nodes, rounds, seed, report, byzantine } = options
  const deadlineMs = options.deadlineMs ?? swarmDeadlineMs(nodes, availableParallelism())
  const attack = options.attack === undefined ? undefined : formatAttack(options.attack)
  const partition = formatPartition(options.partition)
  const data = formatDataSource(options.data)
  const source = options.data
  const baseDir = options.dir ?? await mkdtemp(join(tmpdir(), 'meshtrain-swarm-'))
  const keep = options.keep ?? options.dir !== undefined
  const manifest = swarmManifest(nodes, deadlineMs)
  const startedAt = Date.now()
  const ports = await freePorts(nodes)
  const swarm: SwarmNode[] = []
  for (let index = 0; index < nodes; index++) {
    const dataDir = join(baseDir, `node-${index}`)
    const key = await initDataDir(dataDir, {}, manifest)
    swarm.push({ index, byzantine: index >= nodes - byzantine, peerId: peerIdFromPrivateKey(key).toString(), dataDir, port: ports[index] as number, lastRound: -1, lastAccuracy: 0 })
  }
  for (const node of swarm) {
    const settings = {
      listen: [`/ip4/127.0.0.1/tcp/${node.port}`],
      // The daemons started before this one: each pair of daemons is dialled (and redialled) from
      // one side only, not from both at once, which at 50 daemons was 2,450 handshakes instead of 1,225.
      bootstrap: swarm.filter(n => n.index < node.index).map(n => `/ip4/127.0.0.1/tcp/${n.port}/p2p/${n.peerId}`),
      mdns: false,
      data,
      shard: `${node.index}/${nodes}`,
      partition,
      dataSeed: seed,
      rounds,
      // Started a few at a time, the daemons begin their first round together: once each sees all the others.
      waitForPeers: nodes - 1,
      logFormat: 'json',
      ...(node.byzantine && attack !== undefined ? { attack, colluders: swarm.filter(n => n.byzantine).map(n => n.peerId) } : {})
    }
    await writeFile(dataDirPaths(node.dataDir).config, JSON.stringify(settings, null, 2) + '\n')
  }

  if (byzantine > 0) console.log(`swarm: nodes ${swarm.filter(n => n.byzantine).map(n => n.index).join(', ')} are attackers (${attack})`)
  console.log(`swarm: ${nodes} nodes, ${rounds} rounds, ${partition} shards of ${data}, network ${networkId(manifest)}, data in ${baseDir}`)
  const main = daemonMain()
  let shownRound = -1
  const dashboard = new SwarmDashboard(await swarmDashboardPages(), rounds)
  for (const n of swarm) dashboard.addNode(n.index, n.peerId, n.byzantine)
  // A node writes <data-dir>/api once its API listens, after its ready line: each round retries.
  const noteApi = (node: SwarmNode): void => void readFile(join(node.dataDir, 'api'), 'utf8').then(
    text => { if (text.trim() !== '') dashboard.setNodeApi(node.index, `http://${text.trim()}`) },
    () => { /* not written yet: the next round reads it */ }
  )
  const whenReady = new Map<number, () => void>()
  const onEvent = (node: SwarmNode, event: StatusEvent): void => {
    if (event.event === 'ready') {
      whenReady.get(node.index)?.()
      node.backend = event.backend
      if (swarm.every(n => n.backend !== undefined)) {
        console.log(`swarm: all ${nodes} nodes ready, TensorFlow.js backend ${[...new Set(swarm.map(n => n.backend))].join(', ')}`)
      }
    }
    if (event.event !== 'round') return
    node.lastRound = event.round
    node.lastAccuracy = event.accuracy
    dashboard.recordRound(node.index, { round: event.round, peers: event.peers, used: event.used, refused: event.refused, loss: event.loss, accuracy: event.accuracy, durationMs: event.durationMs, ledgerMs: event.ledgerMs })
    if (dashboard.nodes[node.index]?.api === null) noteApi(node)
    const live = swarm.filter(n => n.exitCode === undefined || n.lastRound >= rounds - 1)
    const low = Math.min(...live.map(n => n.lastRound))
    if (low > shownRound) {
      shownRound = low
      const accuracies = live.filter(n => !n.byzantine).map(n => n.lastAccuracy)
      const seconds = ((Date.now() - startedAt) / 1000).toFixed(0)
      if (process.stdout.isTTY) {
        // On a terminal: one progress bar, redrawn in place, with the honest nodes' min and mean.
        const mean = accuracies.reduce((a, b) => a + b, 0) / accuracies.length
        process.stdout.write(`\r${progressBar(low + 1, rounds)} round ${low + 1}/${rounds}  honest accuracy min ${Math.min(...accuracies).toFixed(3)} mean ${mean.toFixed(3)}  ${seconds}s\x1b[K${low + 1 >= rounds ? '\n' : ''}`)
      } else {
        console.log(`round ${low + 1}/${rounds}  honest held-out accuracy ${Math.min(...accuracies).toFixed(3)}..${Math.max(...accuracies).toFixed(3)}  ${seconds}s`)
      }
    }
  }

  const stopAll = (): void => { for (const n of swarm) stopProcess(n.process) }
  // Exiting for any reason (an error, a forced stop) takes the daemons down with the swarm.
  const killAll = (): void => { for (const n of swarm) killGroup(n.process, 'SIGKILL') }
  signal.addEventListener('abort', stopAll, { once: true })
  process.once('exit', killAll)
  try {
    console.log(`swarm: dashboard on http://${formatApiAddress(await dashboard.start())}/`)
    // One node failing fails the swarm: stop the others rather than let them train on without it.
    // Started a core's worth at a time: the next starts once one is ready (or gone).
    // A daemon that fails while others start stops the starting too (exits 0: a daemon never started).
    const starting = new AbortController()
    const exits: Array<Promise<number | null>> = swarm.map(() => Promise.resolve(0))
    await startStaggered(swarm, availableParallelism(), async node => await new Promise<void>(resolve => {
      whenReady.set(node.index, resolve)
      exits[node.index] = startNode(main, node, onEvent).then(code => {
        resolve()
        if (code !== 0) { starting.abort(); stopAll() }
        return code
      })
    }), AbortSignal.any([signal, starting.signal]))
    const codes = await Promise.all(exits)
    // Stopped by SIGINT/SIGTERM: every daemon has been stopped; that is what the operator asked for.
    if (signal.aborted) return void console.log('swarm: stopped')
    const failed = swarm.filter((_, i) => codes[i] !== 0)
    if (failed.length > 0) {
      for (const node of failed) {
        const log = await readFile(join(node.dataDir, 'daemon.log'), 'utf8').catch(() => '')
        console.error(`node ${node.index} exited with ${codes[node.index]}; last log lines:\n${log.split('\n').slice(-15).join('\n')}`)
      }
      throw new RuntimeFailure('swarm-failed', `${failed.length} of ${nodes} nodes failed (their last log lines are above)`)
    }

    const accuracies = await testAccuracies(manifest, source, swarm)
    const wallSeconds = (Date.now() - startedAt) / 1000
    console.log('\nnode  peer id                                               rounds  test accuracy')
    for (const node of swarm) {
      console.log(`${String(node.index).padEnd(4)}  ${node.peerId.padEnd(52)}  ${String(node.lastRound + 1).padStart(6)}  ${(accuracies[node.index] as number).toFixed(4)}${node.byzantine ? '  (attacker)' : ''}`)
    }
    const honest = swarm.filter(n => !n.byzantine).map(n => accuracies[n.index] as number)
    console.log(`honest nodes: ${honest.length}, test accuracy min ${Math.min(...honest).toFixed(4)} mean ${(honest.reduce((a, b) => a + b, 0) / honest.length).toFixed(4)}`)
    console.log(`wall time ${wallSeconds.toFixed(1)} s`)
    const ledgers = await verifySwarmLedgers(swarm)
    for (const line of ledgers.lines) console.log(line)
    if (report !== undefined) {
      await writeFile(report, JSON.stringify({
        rounds,
        wallSeconds,
        attack: attack ?? null,
        nodes: swarm.map(n => ({
          peerId: n.peerId, byzantine: n.byzantine, accuracy: accuracies[n.index], rounds: n.lastRound + 1, backend: n.backend,
          history: dashboard.roundsOf(n.index).map(r => ({ round: r.round, accuracy: r.accuracy, loss: r.loss, used: r.used, refused: r.refused, durationMs: r.durationMs, ledgerMs: r.ledgerMs }))
        }))
      }, null, 2) + '\n')
      const plot = plotPathFor(report)
      const title = `held-out accuracy per round: ${nodes} nodes${byzantine > 0 ? `, ${byzantine} attacking (${attack ?? ''})` : ''}`
      await writeFile(plot, accuracySvg(swarm.map(n => ({ index: n.index, byzantine: n.byzantine, history: dashboard.roundsOf(n.index) })), title))
      console.log(`report written to ${report}, accuracy plot to ${plot}`)
    }
    if (ledgers.failed > 0) throw new RuntimeFailure('ledger-invalid', `${ledgers.failed} of ${nodes} nodes' ledgers do not verify (see above)`)
  } finally {
    stopAll()
    await dashboard.stop()
    signal.removeEventListener('abort', stopAll)
    process.off('exit', killAll)
    if (!keep) await rm(baseDir, { recursive: true, force: true })
  }
}

/**
 * The daemons' command: this build's main.js when the swarm runs from the packed build; in a
 * checkout run from the sources, dist/cli/main.js, built first when older than src/
 * (./compiled-main.ts): a daemon from plain JavaScript holds 6 to 11 MiB less memory.
 */
function daemonMain (): string {
  if (import.meta.url.endsWith('.js')) return fileURLToPath(new URL('./main.js', import.meta.url))
  if (ensureCompiledPackage()) console.log('swarm: built dist/ from src/ (the daemons run the compiled JavaScript)')
  return COMPILED_MAIN
}

/** Start one daemon process, running `main`; resolves with its exit code. */
function startNode (main: string, node: SwarmNode, onEvent: (node: SwarmNode, event: StatusEvent) => void): Promise<number | null> {
  // The API on any free port: every daemon of the swarm shares the host.
  // Each daemon in its own process group, killed as a group; --parent-pid: a swarm killed with
  // SIGKILL (which it cannot catch) still takes its daemons with it within a second or so.
  const args = [...DAEMON_NODE_OPTIONS, main, 'start', '--data-dir', node.dataDir, '--api', '127.0.0.1:0', '--parent-pid', String(process.pid)]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, ...DAEMON_ENVIRONMENT } })
  node.process = child
  child.stderr.pipe(createWriteStream(join(node.dataDir, 'daemon.log')))
  let buffered = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk
    let newline
    while ((newline = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, newline)
      buffered = buffered.slice(newline + 1)
      try {
        onEvent(node, JSON.parse(line) as StatusEvent)
      } catch {
        // not a status line
      }
    }
  })
  return new Promise(resolve => child.on('exit', code => {
    node.exitCode = code
    resolve(code)
  }))
}

/** SIGTERM to the daemon's process group, then SIGKILL if it has not exited within 5 s. */
function stopProcess (child: ChildProcess | undefined): void {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
  killGroup(child, 'SIGTERM')
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000)
  timer.unref()
  child.once('exit', () => clearTimeout(timer))
}

/** Signal a detached child's whole process group (its pid is the group id). */
function killGroup (child: ChildProcess | undefined, signal: NodeJS.Signals): void {
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    child.kill(signal)
  }
}

/** Each node's final checkpoint, measured on the data set's common test split. */
async function testAccuracies (manifest: NetworkManifest, source: DataSource, swarm: readonly SwarmNode[]): Promise<number[]> {
  const evaluator = await ModelTrainer.start({ model: manifest.model, training: manifest.training, data: source, shard: { index: 0, count: 1 } })
  try {
    const id = networkId(manifest)
    const out: number[] = []
    for (const node of swarm) {
      const checkpoint = await loadCheckpoint(dataDirPaths(node.dataDir).checkpoints, id, parameterCount(manifest.model))
      out.push(checkpoint === undefined ? 0 : (await evaluator.evaluate(checkpoint.weights, 'test')).accuracy)
    }
    return out
  } finally {
    await evaluator.close()
  }
}

/** `[#########...........]`: `done` of `total`, 20 cells wide. */
export function progressBar (done: number, total: number): string {
  const cells = 20
  const full = total <= 0 ? cells : Math.min(cells, Math.round(cells * done / total))
  return `[${'#'.repeat(full)}${'.'.repeat(cells - full)}]`
}
