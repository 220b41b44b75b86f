/**
 * The slow-loris scenario of issue 11 on real processes: four honest `meshtrain start` daemons on
 * 127.0.0.1 (median with f = 1, a round closes when the other three models are in) and a
 * {@link SlowLorisPeer} opening 64 trickling model streams to each. Used by
 * test/e2e/slow-loris.test.ts (the attacker banned, rounds going on) and
 * scripts/bench-slow-loris.ts (honest rounds with the attacker over rounds without it).
 */
import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { initDataDir } from '../src/node/index.ts'
import { DEFAULT_MANIFEST, networkId } from '../src/protocol/index.ts'
import type { NetworkManifest } from '../src/protocol/index.ts'
import { DaemonProcess, freePorts } from '../test/e2e/daemon-fixture.ts'
import { SlowLorisPeer } from './slow-loris-peer.ts'

export const HONEST = 4
export const MANIFEST: NetworkManifest = { ...DEFAULT_MANIFEST, name: 'slow-loris', rounds: { quorum: HONEST - 1, deadlineMs: 10_000, window: 2 } }
/** Streams the attacker keeps open to each honest node (twice the node's 32 inbound slots). */
export const STREAMS_PER_TARGET = 64

/** Four honest daemons, each past its second round. */
export interface HonestSwarm {
  readonly daemons: readonly DaemonProcess[]
  /** Each daemon's `/ip4/127.0.0.1/tcp/<port>/p2p/<peer-id>`, in the order of `daemons`. */
  readonly addresses: readonly string[]
  /** Kill every daemon (idempotent). */
  stop (): void
}

/**
 * Start the honest swarm in `dir` (one data directory per node) and wait until every node has
 * finished two rounds. `minRoundMs`: the daemons' setting (0: rounds as fast as the quorum allows).
 */
export async function startHonestSwarm (dir: string, minRoundMs = 0): Promise<HonestSwarm> {
  const ports = await freePorts(HONEST)
  const nodes = await Promise.all(Array.from({ length: HONEST }, async (_, i) => {
    const dataDir = join(dir, `node-${i}`)
    const key = await initDataDir(dataDir, {}, MANIFEST)
    return { dataDir, address: `/ip4/127.0.0.1/tcp/${ports[i] as number}/p2p/${peerIdFromPrivateKey(key).toString()}`, port: ports[i] as number }
  }))
  for (const [i, node] of nodes.entries()) {
    await writeFile(join(node.dataDir, 'config.json'), JSON.stringify({
      listen: [`/ip4/127.0.0.1/tcp/${node.port}`], bootstrap: nodes.filter(n => n !== node).map(n => n.address), mdns: false, shard: `${i}/${HONEST}`, minRoundMs
    }))
  }
  const daemons = nodes.map(n => new DaemonProcess(n.dataDir))
  const stop = (): void => { for (const d of daemons) d.stop() }
  try {
    await Promise.all(daemons.map(async d => { await d.waitFor(() => d.lastRound >= 1, 'two rounds', 120_000) }))
  } catch (err) {
    stop()
    throw err
  }
  return { daemons, addresses: nodes.map(n => n.address), stop }
}

/** Rounds each daemon has reported so far. */
export function roundCounts (swarm: HonestSwarm): number[] {
  return swarm.daemons.map(d => d.rounds.length)
}

/** Rounds every honest node finished since `counts` (from {@link roundCounts}): the slowest node's count. */
export function roundsSince (swarm: HonestSwarm, counts: readonly number[]): number {
  return Math.min(...swarm.daemons.map((d, i) => d.rounds.length - (counts[i] as number)))
}

/** Start a fresh attacker (a new peer id) on every honest node; the caller stops it. */
export async function startAttack (swarm: HonestSwarm): Promise<SlowLorisPeer> {
  const attacker = await SlowLorisPeer.start({ targets: swarm.addresses, networkId: networkId(MANIFEST), streamsPerTarget: STREAMS_PER_TARGET })
  attacker.attack()
  return attacker
}

/**
 * One measurement: honest rounds in `phaseMs` without an attacker, in `phaseMs` with one, and in
 * `phaseMs` after it stopped. The rounds without it are the mean of the phases before and after,
 * so a change in the machine's other load during the run shifts both sides alike.
 */
export interface SlowLorisMeasurement {
  readonly phaseMs: number
  /** Rounds of the slowest node in the phase before the attack and in the phase after it. */
  readonly calmRounds: readonly [number, number]
  readonly attackRounds: number
  /** attackRounds over the mean of calmRounds. */
  readonly ratio: number
  /** Attacker streams opened and stream opens or dials refused during its phase. */
  readonly opened: number
  readonly refused: number
  /** Honest nodes whose log says they banned the attacker. */
  readonly bannedBy: number
  /** CPU seconds of the honest daemons together in each phase, and of this process (the attacker's) in the attack phase. */
  readonly honestCpuSeconds: { readonly before: number, readonly attack: number, readonly after: number }
  readonly attackerCpuSeconds: number
  /** Rounds of any honest node in each phase that closed with fewer than the other three models. */
  readonly partialRounds: { readonly before: number, readonly attack: number, readonly after: number }
  /** The longest round of any honest node in each phase, ms. */
  readonly longestRoundMs: { readonly before: number, readonly attack: number, readonly after: number }
}

/** Whether the daemon's log says it banned `peerId` (the ban line of BanEnforcement). */
export function banned (daemon: DaemonProcess, peerId: string): boolean {
  return new RegExp(`peer ${peerId} banned for \\d+ min \\(score -?\\d+\\.\\d, below -80\\)`).test(daemon.stderr)
}

/** Measure on a swarm that has seen no attacker yet (a host struck by an earlier one would refuse the new one before it attacks). */
export async function measureSlowLoris (swarm: HonestSwarm, phaseMs: number): Promise<SlowLorisMeasurement> {
  const phase = async (): Promise<{ rounds: number, cpu: number, partial: number, longestMs: number }> => {
    const counts = roundCounts(swarm)
    const cpu = honestCpu(swarm)
    await delay(phaseMs)
    const done = swarm.daemons.flatMap((d, i) => d.rounds.slice(counts[i]))
    return {
      rounds: roundsSince(swarm, counts),
      cpu: round2(honestCpu(swarm) - cpu),
      partial: done.filter(r => r.used < HONEST - 1).length,
      longestMs: Math.max(0, ...done.map(r => r.durationMs))
    }
  }
  const before = await phase()
  const ownCpu = process.cpuUsage()
  const attacker = await startAttack(swarm)
  let attack, report, bannedBy
  try {
    attack = await phase()
    report = attacker.report()
    bannedBy = swarm.daemons.filter(d => banned(d, attacker.peerId)).length
  } finally {
    await attacker.stop()
  }
  const own = process.cpuUsage(ownCpu)
  const after = await phase()
  return {
    phaseMs,
    calmRounds: [before.rounds, after.rounds],
    attackRounds: attack.rounds,
    ratio: attack.rounds / Math.max(1, (before.rounds + after.rounds) / 2),
    opened: report.opened,
    refused: report.refused,
    bannedBy,
    honestCpuSeconds: { before: before.cpu, attack: attack.cpu, after: after.cpu },
    partialRounds: { before: before.partial, attack: attack.partial, after: after.partial },
    longestRoundMs: { before: before.longestMs, attack: attack.longestMs, after: after.longestMs },
    attackerCpuSeconds: round2((own.user + own.system) / 1e6)
  }
}

function round2 (x: number): number {
  return Math.round(x * 100) / 100
}

/** CPU seconds (user and system) a process has used so far (Linux /proc; clock ticks of 1/100 s). */
function cpuSeconds (pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** CPU seconds the honest daemons have used so far, together. */
function honestCpu (swarm: HonestSwarm): number {
  return swarm.daemons.reduce((sum, d) => sum + cpuSeconds(d.child.pid as number), 0)
}
