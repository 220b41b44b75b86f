/**
 * `node scripts/robustness/left-out.ts SCENARIO_JSON [OUT_FILE]`: runs one robustness scenario (simulate.ts;
 * e.g. `'{"group":"S0","rule":"trimmed-mean+nnm+memory","attack":"none","byzantine":0,
 * "partition":"dirichlet:0.1","fanout":0,"seed":1,"rounds":200}'`) and prints as one JSON object
 * the honest nodes' final accuracies and how many peer inputs the peer-alignment memory left out
 * (verdict `misaligned`), honest and attackers' apart, with the honest ones by stretch of 20 rounds.
 * It tells whether a run under the memory is the same run as without it (nothing left out). With
 * OUT_FILE it also writes the scenario's result there, as bench:robustness caches it (the same
 * run: the observer changes nothing), for bench/cache/.
 */
import { writeFile } from 'node:fs/promises'
import { runScenario } from './simulate.ts'
import { scenarioId } from './scenarios.ts'
import type { Scenario } from './scenarios.ts'

const [text, out] = process.argv.slice(2)
if (text === undefined) {
  console.error('usage: node scripts/robustness/left-out.ts SCENARIO_JSON [OUT_FILE]')
  process.exit(2)
}
const scenario = JSON.parse(text) as Scenario
const counts = { honestLeftOut: 0, honestSeen: 0, attackersLeftOut: 0, attackersSeen: 0 }
const honestLeftOutBy20Rounds: Record<number, number> = {}
const result = await runScenario(scenario, scenarioId(scenario), undefined, (_node, summary, colluders) => {
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
if (out !== undefined) await writeFile(out, JSON.stringify(result) + '\n')
