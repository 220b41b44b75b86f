/**
 * Slow-loris benchmark (issue 11): four honest `meshtrain start` daemons on 127.0.0.1 train for a
 * phase without an attacker, a phase with a slow-loris peer opening 64 trickling model streams to
 * each, and a phase after it stopped (scripts/slow-loris-swarm.ts); the figure is the slowest
 * node's rounds with the attacker over the mean of its rounds before and after. Target: at least
 * 0.80. Each run starts a fresh swarm, since a node that banned one attacker refuses its host's
 * next one before it can attack.
 *
 *   npm run bench:slow-loris [-- --runs N] [-- --phase-seconds S] [-- --json]
 *
 * Every process runs on this machine: the attacker's dials cost CPU that the honest daemons then
 * lack, as the nodes' own refusals do, so a busy machine lowers the figure.
 */
import { parseArgs } from 'node:util'
import { measureSlowLoris, startHonestSwarm } from './slow-loris-swarm.ts'
import type { SlowLorisMeasurement } from './slow-loris-swarm.ts'
import { tempDir } from '../test/e2e/daemon-fixture.ts'

/** Issue 11's bound: honest rounds with the attacker at least this share of those without it. */
const TARGET_RATIO = 0.8

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, runs: { type: 'string', default: '1' }, 'phase-seconds': { type: 'string', default: '20' } } })
const runs = Number(values.runs)
const phaseSeconds = Number(values['phase-seconds'])
if (!Number.isInteger(runs) || runs < 1 || runs > 20) throw new RangeError(`--runs ${values.runs}: an integer from 1 to 20 is allowed`)
if (!Number.isInteger(phaseSeconds) || phaseSeconds < 5 || phaseSeconds > 600) throw new RangeError(`--phase-seconds ${values['phase-seconds']}: an integer from 5 to 600 is allowed`)

const measurements: SlowLorisMeasurement[] = []
for (let run = 0; run < runs; run++) {
  const scratch = await tempDir()
  const swarm = await startHonestSwarm(scratch.path)
  try {
    const m = await measureSlowLoris(swarm, phaseSeconds * 1000)
    measurements.push(m)
    if (!values.json) {
      console.log(`run ${run + 1}: honest rounds in ${phaseSeconds} s (slowest node) ${m.calmRounds[0]} before the attacker, ${m.attackRounds} with it, ${m.calmRounds[1]} after it: ratio ${m.ratio.toFixed(2)}; ` +
        `attacker banned by ${m.bannedBy} of 4, streams opened ${m.opened}, dials and streams refused ${m.refused}; ` +
        `CPU s of the 4 daemons ${m.honestCpuSeconds.before} / ${m.honestCpuSeconds.attack} / ${m.honestCpuSeconds.after}, of the attacker ${m.attackerCpuSeconds}; ` +
        `rounds without every peer ${m.partialRounds.before} / ${m.partialRounds.attack} / ${m.partialRounds.after}, longest round ms ${m.longestRoundMs.before} / ${m.longestRoundMs.attack} / ${m.longestRoundMs.after}`)
    }
  } finally {
    swarm.stop()
    await scratch.remove()
  }
}
const ratios = measurements.map(m => Number(m.ratio.toFixed(3)))
const minRatio = Math.min(...ratios)
const result = { phaseSeconds, runs, ratios, minRatio, targetRatio: TARGET_RATIO, measurements }
if (values.json) console.log(JSON.stringify(result))
else console.log(`slow-loris: rounds with / without the attacker ${ratios.map(r => r.toFixed(2)).join(', ')}; lowest ${minRatio.toFixed(2)} (target at least ${TARGET_RATIO})`)
process.exit(0)
