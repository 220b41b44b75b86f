/**
 * `node scripts/robustness/left-out.ts SCENARIO_JSON`: runs one robustness scenario (simulate.ts;
 * e.g. `'{"group":"S0","rule":"trimmed-mean+nnm+memory","attack":"none","byzantine":0,
 * "partition":"dirichlet:0.1","fanout":0,"seed":1,"rounds":200}'`) and prints as one JSON object
 * the honest nodes' final accuracies and how many peer inputs the peer-alignment memory left out
 * (verdict `misaligned`), honest and attackers' apart, with the honest ones by stretch of 20 rounds.
 * It tells whether a run under the memory is the same run as without it (nothing left out).
 */
import { runScenario } from './simulate.ts'
import type { Scenario } from './scenarios.ts'

const text = process.argv[2]
if (text === undefined) {
  console.error('usage: node scripts/robustness/left-out.ts SCENARIO_JSON')
  process.exit(2)
}
const scenario = JSON.parse(text) as Scenario
const counts = { honestLeftOut: 0, honestSeen: 0, attackersLeftOut: 0, attackersSeen: 0 }
const honestLeftOutBy20Rounds: Record<number, number> = {}
const result = await runScenario(scenario, 'left-out', undefined, (_node, summary, colluders) => {
  for (const input of summary.trace.peerInputs) {
    const leftOut = input.verdict === 'misaligned'
    if (colluders.includes(input.announcement.peerId)) {
      counts.attackersSeen++
      if (leftOut) counts.attackersLeftOut++
    } else {
      counts.honestSeen++
      if (leftOut) {
        counts.honestLeftOut++
        const stretch = Math.floor(summary.round / 20) * 20
        honestLeftOutBy20Rounds[stretch] = (honestLeftOutBy20Rounds[stretch] ?? 0) + 1
      }
    }
  }
})
console.log(JSON.stringify({ worst: result.worstAccuracy, mean: result.meanAccuracy, honestAccuracies: result.honestAccuracies, ...counts, honestLeftOutBy20Rounds }))
