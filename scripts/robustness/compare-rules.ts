/**
 * `node scripts/robustness/compare-rules.ts RULE_A RULE_B`: every scenario both rules ran in
 * bench/cache/ (the same group, attack, partition, fanout, seed and rounds), with the worst honest
 * node's accuracy under each and B − A in points, then how many are the same to the hundredth, better
 * and worse under B. For a rule that differs from another in one setting (e.g.
 * `trimmed-mean+nnm+memory trimmed-mean+nnm+memory+ceiling`), it shows where the setting changed a run.
 */
import { readFile, readdir } from 'node:fs/promises'
import { scenarioId } from './scenarios.ts'
import type { ScenarioResult } from './simulate.ts'

const CACHE_DIR = new URL('../../bench/cache/', import.meta.url)

const [ruleA, ruleB] = process.argv.slice(2)
if (ruleA === undefined || ruleB === undefined) {
  console.error('usage: node scripts/robustness/compare-rules.ts RULE_A RULE_B  (rule labels as in bench/robustness.md, e.g. trimmed-mean+nnm+memory)')
  process.exit(2)
}
const results = await Promise.all((await readdir(CACHE_DIR)).filter(f => f.endsWith('.json')).map(async f => JSON.parse(await readFile(new URL(f, CACHE_DIR), 'utf8')) as ScenarioResult))
const ofA = new Map(results.filter(r => r.scenario.rule === ruleA).map(r => [scenarioId({ ...r.scenario, rule: '' }), r]))
const points = (x: number): number => Math.round(x * 10_000) / 100
const counts = { same: 0, better: 0, worse: 0 }
for (const b of results.filter(r => r.scenario.rule === ruleB).sort((x, y) => scenarioId(x.scenario).localeCompare(scenarioId(y.scenario)))) {
  const a = ofA.get(scenarioId({ ...b.scenario, rule: '' }))
  if (a === undefined) continue
  const difference = Math.round((points(b.worstAccuracy) - points(a.worstAccuracy)) * 100) / 100
  counts[difference === 0 ? 'same' : difference > 0 ? 'better' : 'worse']++
  const { group, attack, partition, fanout, seed } = b.scenario
  console.log(`${group} ${attack} ${partition}${fanout > 0 ? ` fanout ${fanout}` : ''} seed ${seed}: ${points(a.worstAccuracy).toFixed(2)} → ${points(b.worstAccuracy).toFixed(2)} (${difference >= 0 ? '+' : ''}${difference.toFixed(2)})`)
}
console.log(`${counts.same + counts.better + counts.worse} scenarios both ran: ${counts.same} the same to the hundredth, ${counts.better} better and ${counts.worse} worse under ${ruleB}`)
