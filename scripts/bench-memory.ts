/**
 * `npm run bench:memory [-- --nodes 4,16] [-- --rounds 10] [-- --json]`: the peak resident memory
 * of real daemons. For each N, runs `meshtrain swarm --nodes N --rounds R` on 127.0.0.1 (the
 * default MNIST model, daemons started with the swarm's process options, see
 * src/node/daemon-process.ts) and reads every daemon's VmHWM (the kernel's record of its peak
 * RSS, main thread and trainer worker together) while it runs; prints the median and the largest
 * per N. `rssMiBPerDaemon` is the largest of all (the issue's target: under 150 MiB). The same
 * swarm runs give bench:scale its real rows (scripts/scale/real-swarm.ts). Linux only.
 */
import { parseArgs } from 'node:util'
import { RSS_SAMPLE_MS, RSS_TARGET_MIB, runRealSwarm } from './scale/real-swarm.ts'
import type { RealSwarmRow } from './scale/real-swarm.ts'

const FANOUT = 8
const { values: flags } = parseArgs({ options: { nodes: { type: 'string', default: '4,16' }, rounds: { type: 'string', default: '10' }, json: { type: 'boolean' }, help: { type: 'boolean' } } })
if (flags.help === true) {
  console.log('usage: npm run bench:memory [-- --nodes 4,16] [-- --rounds 10] [-- --json]')
  process.exit(0)
}
const sizes = flags.nodes.split(',').map(Number)
const rounds = Number(flags.rounds)
if (!sizes.every(n => Number.isInteger(n) && n >= 2 && n <= 256)) {
  console.error(`bench:memory: --nodes ${flags.nodes}: expected whole numbers from 2 to 256, separated by commas`)
  process.exit(2)
}
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(`bench:memory: --rounds ${flags.rounds}: expected a whole number of at least 1`)
  process.exit(2)
}
const say = (line: string): void => { (flags.json === true ? process.stderr : process.stdout).write(`${line}\n`) }

const startedAt = Date.now()
const rows: RealSwarmRow[] = []
for (const nodes of sizes) {
  const row = await runRealSwarm(nodes, rounds, FANOUT)
  rows.push(row)
  say(`swarm N=${nodes}, ${rounds} rounds: peak RSS per daemon median ${row.rssMiBMedian.toFixed(1)} MiB, max ${row.rssMiBMax.toFixed(1)} MiB (node ${row.rssMiB.indexOf(row.rssMiBMax)} of ${row.rssMiB.length}); honest accuracy min ${row.honestAccuracyMin.toFixed(3)}; ${row.roundsPerMinute === null ? 'no rounds' : `${row.roundsPerMinute.toFixed(1)} rounds/min`}; node-rounds with the quorum ${(100 * row.quorumShare).toFixed(1)}%, aggregated (not kept own) ${(100 * row.aggregatedShare).toFixed(1)}%; load average ${row.loadAverage.map(l => l.toFixed(1)).join(' to ')}${row.exitCode === 0 ? '' : ` (swarm exited with ${row.exitCode}: ${row.failure ?? ''})`}`)
}
const rssMiBPerDaemon = Math.max(...rows.map(r => r.rssMiBMax))
say(`peak RSS per daemon ${rssMiBPerDaemon.toFixed(1)} MiB at most (target: under ${RSS_TARGET_MIB}); ${((Date.now() - startedAt) / 1000).toFixed(0)} s in all`)
if (flags.json === true) {
  process.stdout.write(JSON.stringify({
    rssMiBPerDaemon,
    rssTargetMiB: RSS_TARGET_MIB,
    sampleMs: RSS_SAMPLE_MS,
    rows: rows.map(r => ({ nodes: r.nodes, rounds: r.rounds, roundsPerMinute: r.roundsPerMinute, quorumShare: r.quorumShare, aggregatedShare: r.aggregatedShare, loadAverage: r.loadAverage, rssMiBMedian: r.rssMiBMedian, rssMiBMax: r.rssMiBMax, rssMiB: r.rssMiB, honestAccuracyMin: r.honestAccuracyMin, exitCode: r.exitCode, ...(r.failure === undefined ? {} : { failure: r.failure }) })),
    wallSeconds: (Date.now() - startedAt) / 1000
  }) + '\n')
}
if (rows.some(r => r.exitCode !== 0)) process.exitCode = 1
