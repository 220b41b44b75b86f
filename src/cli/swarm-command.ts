import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ModelTrainer, parseDataSource, parsePartition } from '../model/index.ts'
import { DEFAULT_MANIFEST, networkId, parameterCount } from '../protocol/index.ts'
import type { NetworkManifest } from '../protocol/index.ts'
import { attacksHelp, parseAttack } from '../adversary/index.ts'
import type { FlagKind } from './args.ts'
import { loadCheckpoint } from '../node/index.ts'
import { ConfigError } from '../node/index.ts'
import { dataDirPaths, initDataDir } from '../node/index.ts'
import { freePorts } from '../network/index.ts'
import type { StatusEvent } from '../node/index.ts'

/** Defaults of `meshtrain swarm`, sized for a 2-core machine. */
export const SWARM_DEFAULTS = {
  nodes: 4,
  rounds: 30,
  partition: 'iid',
  data: 'mnist',
  /** Round deadline of the swarm's manifest: a dead node costs its peers this much per round. */
  deadlineMs: 5000
} as const

export const SWARM_FLAGS: Record<string, FlagKind> = {
  help: 'boolean', nodes: 'value', rounds: 'value', partition: 'value', data: 'value', report: 'value', dir: 'value', keep: 'boolean', 'deadline-ms': 'value', seed: 'value', byzantine: 'value', attack: 'value'
}

export function swarmHelp (): string {
  return `usage: meshtrain swarm [options]

Starts N real daemons on 127.0.0.1 (no mDNS), each with its own data directory and a disjoint
shard of the training data, bootstrapped to each other; shows progress per round; prints each
node's accuracy on the common test split at the end and stops every process it started.

  --nodes N            daemons to start (default ${SWARM_DEFAULTS.nodes})
  --rounds R           rounds every node trains (default ${SWARM_DEFAULTS.rounds})
  --partition P        iid or dirichlet:ALPHA (default ${SWARM_DEFAULTS.partition})
  --data SOURCE        mnist, idx:DIR or csv:FILE:LABEL_COLUMN (default ${SWARM_DEFAULTS.data})
  --report FILE        write a JSON report: rounds, wallSeconds, nodes [{peerId, byzantine, accuracy}]
  --dir DIR            put the data directories here (default: a new temporary directory)
  --keep / --no-keep   keep the data directories afterwards (default: kept only with --dir)
  --deadline-ms MS     round deadline of the swarm's network (default ${SWARM_DEFAULTS.deadlineMs})
  --seed N             seed of the data split (default 1)
  --byzantine F        make the last F nodes attackers (default 0); they know each other
  --attack NAME[:k=v]  what the attackers do (required with --byzantine):
${attacksHelp().split('\n').map(l => '    ' + l).join('\n')}

Attackers run the same protocol, signing and transfer code as honest nodes; omniscient ones read
the round's honest models before announcing. The final table shows honest nodes' accuracy
separately; the report marks attackers with "byzantine": true.`
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

/** Run a local swarm to the end; resolves when every node has stopped and the report is written. */
export async function runSwarm (flags: Readonly<Record<string, string | boolean>>, signal: AbortSignal): Promise<void> {
  const nodes = positiveInt(flags.nodes, 'nodes', SWARM_DEFAULTS.nodes)
  const rounds = positiveInt(flags.rounds, 'rounds', SWARM_DEFAULTS.rounds)
  const deadlineMs = positiveInt(flags['deadline-ms'], 'deadline-ms', SWARM_DEFAULTS.deadlineMs)
  const seed = positiveInt(flags.seed, 'seed', 1)
  const partition = typeof flags.partition === 'string' ? flags.partition : SWARM_DEFAULTS.partition
  const data = typeof flags.data === 'string' ? flags.data : SWARM_DEFAULTS.data
  parsePartition(partition)
  const source = parseDataSource(data)
  if (nodes < 2) throw new ConfigError('nodes', `--nodes: got ${nodes}, expected at least 2`)
  const report = typeof flags.report === 'string' ? flags.report : undefined
  const byzantine = flags.byzantine === undefined ? 0 : nonNegativeInt(flags.byzantine, 'byzantine')
  const attack = typeof flags.attack === 'string' ? flags.attack : undefined
  if (byzantine > 0 && attack === undefined) throw new ConfigError('attack', '--byzantine needs --attack NAME[:k=v,...]; see meshtrain swarm --help')
  if (attack !== undefined) parseAttack(attack)
  if (byzantine >= nodes) throw new ConfigError('byzantine', `--byzantine: got ${byzantine}, expected fewer than --nodes (${nodes})`)

  const baseDir = typeof flags.dir === 'string' ? flags.dir : await mkdtemp(join(tmpdir(), 'meshtrain-swarm-'))
  const keep = flags.keep === true || (flags.keep === undefined && typeof flags.dir === 'string')
  const manifest: NetworkManifest = {
    ...DEFAULT_MANIFEST,
    name: `meshtrain-swarm-${nodes}`,
    rounds: { ...DEFAULT_MANIFEST.rounds, quorum: nodes - 1, deadlineMs }
  }
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
      bootstrap: swarm.filter(n => n !== node).map(n => `/ip4/127.0.0.1/tcp/${n.port}/p2p/${n.peerId}`),
      mdns: false,
      data,
      shard: `${node.index}/${nodes}`,
      partition,
      dataSeed: seed,
      rounds,
      logFormat: 'json',
      ...(node.byzantine && attack !== undefined ? { attack, colluders: swarm.filter(n => n.byzantine).map(n => n.peerId) } : {})
    }
    await writeFile(dataDirPaths(node.dataDir).config, JSON.stringify(settings, null, 2) + '\n')
  }

  if (byzantine > 0) console.log(`swarm: nodes ${swarm.filter(n => n.byzantine).map(n => n.index).join(', ')} are attackers (${attack})`)
  console.log(`swarm: ${nodes} nodes, ${rounds} rounds, ${partition} shards of ${data}, network ${networkId(manifest)}, data in ${baseDir}`)
  let shownRound = -1
  const onEvent = (node: SwarmNode, event: StatusEvent): void => {
    if (event.event === 'ready') {
      node.backend = event.backend
      if (swarm.every(n => n.backend !== undefined)) {
        console.log(`swarm: all ${nodes} nodes ready, TensorFlow.js backend ${[...new Set(swarm.map(n => n.backend))].join(', ')}`)
      }
    }
    if (event.event !== 'round') return
    node.lastRound = event.round
    node.lastAccuracy = event.accuracy
    const live = swarm.filter(n => n.exitCode === undefined || n.lastRound >= rounds - 1)
    const low = Math.min(...live.map(n => n.lastRound))
    if (low > shownRound) {
      shownRound = low
      const accuracies = live.filter(n => !n.byzantine).map(n => n.lastAccuracy)
      console.log(`round ${low + 1}/${rounds}  honest held-out accuracy ${Math.min(...accuracies).toFixed(3)}..${Math.max(...accuracies).toFixed(3)}  ${((Date.now() - startedAt) / 1000).toFixed(0)}s`)
    }
  }

  const stopAll = (): void => { for (const n of swarm) stopProcess(n.process) }
  signal.addEventListener('abort', stopAll, { once: true })
  try {
    // One node failing fails the swarm: stop the others rather than let them train on without it.
    const exits = swarm.map(node => startNode(node, onEvent).then(code => {
      if (code !== 0) stopAll()
      return code
    }))
    const codes = await Promise.all(exits)
    if (signal.aborted) throw new Error('swarm interrupted')
    const failed = swarm.filter((_, i) => codes[i] !== 0)
    if (failed.length > 0) {
      for (const node of failed) {
        const log = await readFile(join(node.dataDir, 'daemon.log'), 'utf8').catch(() => '')
        console.error(`node ${node.index} exited with ${codes[node.index]}; last log lines:\n${log.split('\n').slice(-15).join('\n')}`)
      }
      throw new Error(`${failed.length} of ${nodes} nodes failed`)
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
    if (report !== undefined) {
      await writeFile(report, JSON.stringify({
        rounds,
        wallSeconds,
        attack: attack ?? null,
        nodes: swarm.map(n => ({ peerId: n.peerId, byzantine: n.byzantine, accuracy: accuracies[n.index], rounds: n.lastRound + 1, backend: n.backend }))
      }, null, 2) + '\n')
      console.log(`report written to ${report}`)
    }
  } finally {
    stopAll()
    signal.removeEventListener('abort', stopAll)
    if (!keep) await rm(baseDir, { recursive: true, force: true })
  }
}

/** Start one daemon process; resolves with its exit code. */
function startNode (node: SwarmNode, onEvent: (node: SwarmNode, event: StatusEvent) => void): Promise<number | null> {
  const main = fileURLToPath(new URL('./main.ts', import.meta.url))
  const child = spawn(process.execPath, [main, 'start', '--data-dir', node.dataDir], { stdio: ['ignore', 'pipe', 'pipe'] })
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

/** SIGTERM, then SIGKILL if it has not exited within 5 s. */
function stopProcess (child: ChildProcess | undefined): void {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  timer.unref()
  child.once('exit', () => clearTimeout(timer))
}

/** Each node's final checkpoint, measured on the data set's common test split. */
async function testAccuracies (manifest: NetworkManifest, source: ReturnType<typeof parseDataSource>, swarm: readonly SwarmNode[]): Promise<number[]> {
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

function nonNegativeInt (raw: string | boolean, flag: string): number {
  if (typeof raw !== 'string' || !/^\d+$/.test(raw)) throw new ConfigError(flag, `--${flag}: got ${JSON.stringify(raw)}, expected a whole number`)
  return Number(raw)
}

function positiveInt (raw: string | boolean | undefined, flag: string, fallback: number): number {
  if (raw === undefined) return fallback
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || Number(raw) < 1) throw new ConfigError(flag, `--${flag}: got ${JSON.stringify(raw)}, expected a whole number of at least 1`)
  return Number(raw)
}
