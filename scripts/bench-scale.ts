/**
 * Scale benchmark (issue 16): what a node spends per round as the network grows, and what real
 * daemons on this host hold and achieve.
 *
 *   npm run bench:scale                  n = 16, 64, 256, 1000 simulated; N = 4, 8, 16, 32, 50 real
 *   npm run bench:scale -- --quick       n = 16, 64, 256; N = 4, 8, 16 (under 10 minutes)
 *   npm run bench:scale -- --json        the same, then one JSON object on stdout
 *
 * Simulated rows (scripts/scale/simulate-swarm.ts, one child process each): the node's round loop,
 * validation and the default rule over the in-process network with fanout 8, and real tfjs
 * training on worker threads, every peer with a 16-peer network's share of MNIST; CPU per node per round (all, and without local training) and bytes per node per
 * round (announcements received plus models fetched), and the ratio of the largest to the
 * smallest from n = 64 up (the issue's target: at most 1.5). Real rows (scripts/scale/real-swarm.ts,
 * as `npm run bench:memory` runs them): `meshtrain swarm --nodes N` on 127.0.0.1; each daemon's
 * peak RSS (VmHWM), rounds per minute between the first and the last round every node finished,
 * the share of node-rounds that aggregated at least the quorum, and the honest nodes' test
 * accuracy. `rssMiBPerDaemon` is the largest peak RSS of any daemon of any real row.
 * `transferRatio` (40 MB model transfer over the bulk channel against raw TCP, interleaved in one
 * run) is the transfer benchmark's (scripts/bench-transfer.ts, run here; `--quick` there too).
 * Writes docs/scale.svg. Timing figures depend on what else runs.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { SimulationResult } from './scale/simulate-swarm.ts'
import { RSS_TARGET_MIB, runProcess, runRealSwarm } from './scale/real-swarm.ts'
import type { RealSwarmRow } from './scale/real-swarm.ts'
import { scaleSvg } from './scale/scale-plot.ts'

const quick = process.argv.includes('--quick')
const json = process.argv.includes('--json')
const say = (line: string): void => { (json ? process.stderr : process.stdout).write(`${line}\n`) }

const SIMULATED = quick ? [16, 64, 256] : [16, 64, 256, 1000]
const SIMULATED_ROUNDS = quick ? 3 : 10
const REAL = quick ? [4, 8, 16] : [4, 8, 16, 32, 50]
const REAL_ROUNDS = quick ? 6 : 10
const FANOUT = 8
/** Every simulated peer holds as many examples as a peer of a 16-peer network (scripts/scale/peer-shard.ts), so the rows' accuracies compare. */
const DATA_SHARDS = 16
/** The issue's target: CPU and bytes per node per round flat within this factor from n = 64 up. */
const FLAT_TARGET = 1.5
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const PLOT = join(ROOT, 'docs', 'scale.svg')

async function simulatedRow (nodes: number): Promise<SimulationResult> {
  const out = await runProcess(process.execPath, [join(ROOT, 'scripts/scale/simulate-swarm.ts'), '--nodes', String(nodes), '--rounds', String(SIMULATED_ROUNDS), '--fanout', String(FANOUT), '--data-shards', String(Math.min(DATA_SHARDS, nodes)), '--json'], () => {})
  if (out.code !== 0) throw new Error(`simulation of ${nodes} peers exited with ${out.code}:\n${out.stderr.slice(-2000)}`)
  return JSON.parse(out.stdout.trim().split('\n').at(-1) as string) as SimulationResult
}

/** The transfer benchmark's figures: the bulk channel's and libp2p's throughput over raw TCP's. */
async function transferRow (): Promise<{ transferRatio: number, libp2pRatio: number, medianMs: Record<string, number> }> {
  const out = await runProcess(process.execPath, [join(ROOT, 'scripts/bench-transfer.ts'), '--json', ...(quick ? ['--quick'] : [])], () => {})
  if (out.code !== 0) throw new Error(`bench-transfer.ts exited with ${out.code}:\n${out.stderr.slice(-2000)}`)
  return JSON.parse(out.stdout.trim().split('\n').at(-1) as string) as { transferRatio: number, libp2pRatio: number, medianMs: Record<string, number> }
}

/** Largest over smallest of `values`. */
const spread = (values: readonly number[]): number => Math.max(...values) / Math.min(...values)

const startedAt = Date.now()
const simulated: SimulationResult[] = []
for (const n of SIMULATED) {
  const row = await simulatedRow(n)
  simulated.push(row)
  say(`simulated n=${String(n).padStart(4)}: ${row.rounds} rounds in ${row.wallSeconds.toFixed(1)} s (${row.clockSeconds.toFixed(1)} s of the round clock: CPU over the cores); per node per round CPU ${row.cpuMsPerNodePerRound.toFixed(1)} ms (protocol ${row.protocolCpuMsPerNodePerRound.toFixed(1)} ms), ${(row.bytesPerNodePerRound / 1024).toFixed(0)} KiB, ${row.publicationsPerNodePerRound.toFixed(2)} publications, ${row.verificationsPerPublication.toFixed(3)} signature checks per publication; accuracy min ${row.accuracy.min.toFixed(3)}; peak RSS ${row.peakRssMiB.toFixed(0)} MiB`)
}
const real: RealSwarmRow[] = []
for (const n of REAL) {
  const row = await runRealSwarm(n, REAL_ROUNDS, FANOUT)
  real.push(row)
  say(`real swarm N=${String(n).padStart(2)}: ${row.roundsPerMinute === null ? 'no rounds' : `${row.roundsPerMinute.toFixed(1)} rounds/min`}, ${(100 * row.quorumShare).toFixed(1)}% of node-rounds at the quorum, honest accuracy min ${row.honestAccuracyMin.toFixed(3)}, peak RSS per daemon median ${row.rssMiBMedian.toFixed(1)} MiB, max ${row.rssMiBMax.toFixed(1)} MiB${row.exitCode === 0 ? '' : ` (swarm exited with ${row.exitCode}: ${row.failure ?? ''})`}`)
}
const transfer = await transferRow()
say(`40 MB transfer: bulk channel ${transfer.transferRatio.toFixed(2)} of raw TCP (target at least 0.55), libp2p ${transfer.libp2pRatio.toFixed(2)}; medians raw ${transfer.medianMs.raw?.toFixed(0)} ms, bulk ${transfer.medianMs.bulk?.toFixed(0)} ms, libp2p ${transfer.medianMs.libp2p?.toFixed(0)} ms`)
const fromSixtyFour = simulated.filter(r => r.nodes >= 64)
const cpuSpread = fromSixtyFour.length >= 2 ? spread(fromSixtyFour.map(r => r.cpuMsPerNodePerRound)) : null
const protocolCpuSpread = fromSixtyFour.length >= 2 ? spread(fromSixtyFour.map(r => r.protocolCpuMsPerNodePerRound)) : null
const bytesSpread = fromSixtyFour.length >= 2 ? spread(fromSixtyFour.map(r => r.bytesPerNodePerRound)) : null
const rssMiBPerDaemon = Math.max(...real.map(r => r.rssMiBMax))
await writeFile(PLOT, scaleSvg(simulated, `per node per round against simulated peers (fanout ${FANOUT}, ${SIMULATED_ROUNDS} rounds each)`))
say(`from n=64 to n=${SIMULATED.at(-1)}: CPU per node per round x${cpuSpread?.toFixed(2)} (protocol alone x${protocolCpuSpread?.toFixed(2)}), bytes x${bytesSpread?.toFixed(2)} (target: at most x${FLAT_TARGET})`)
say(`peak RSS per real daemon ${rssMiBPerDaemon.toFixed(1)} MiB (target ${RSS_TARGET_MIB}); plot written to ${PLOT}; ${((Date.now() - startedAt) / 1000).toFixed(0)} s in all`)
if (json) {
  process.stdout.write(JSON.stringify({
    quick,
    fanout: FANOUT,
    rssMiBPerDaemon,
    rssTargetMiB: RSS_TARGET_MIB,
    transferRatio: transfer.transferRatio,
    transfer,
    cpuSpread64Up: cpuSpread,
    protocolCpuSpread64Up: protocolCpuSpread,
    bytesSpread64Up: bytesSpread,
    flatTarget: FLAT_TARGET,
    roundsPerMinute: Object.fromEntries(real.map(r => [r.nodes, r.roundsPerMinute])),
    simulated,
    real,
    plot: 'docs/scale.svg',
    wallSeconds: (Date.now() - startedAt) / 1000
  }) + '\n')
}
