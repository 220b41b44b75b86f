/**
 * `npm run bench:robustness [-- --quick] [-- --jobs N] [-- --only TEXT[,TEXT...]] [-- --rerun-older]`: the
 * robustness table (--only: run only the scenarios whose id contains one of the texts, the report
 * still covering every cached one; --rerun-older: rerun
 * cached results of an older simulation version, scenarios.ts SIMULATION_VERSION, replacing them).
 * Runs the scenarios of scripts/robustness/scenarios.ts in N child processes, each running one
 * scenario after another (default N: one per core, os.availableParallelism()), caching every finished run under bench/cache/ so that a rerun resumes; then writes
 * bench/robustness.md, bench/robustness.json and SVG plots (with --quick: bench/robustness-quick.*).
 * Long runs: start it with `nice -n 10` so other work on the machine is not starved.
 */
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { DEFAULT_RULE, NODES, QUICK_REDUCTION, RULES, SIMULATION_VERSION, attacksOf, fullMatrix, quickMatrix, scenarioId } from './robustness/scenarios.ts'
import type { Group, Partition, Scenario } from './robustness/scenarios.ts'
import type { ScenarioJob, ScenarioResult } from './robustness/simulate.ts'
import { benchmarkData } from './robustness/simulate.ts'
import {
  HEADLINE_HEADER, PLAIN_MEDIAN, ResultTable, SCENARIO_LIST, attackMatrix, candidateRows, choiceSentence, curvesSvg, encodingRows, headlineRows, markdownTable, rankRules, rankingRows, roundTwoRows, runRows, seedSpreadSentence, targetRows, worstCaseSvg
} from './robustness/report.ts'

const BENCH_DIR = fileURLToPath(new URL('../bench/', import.meta.url))
const CACHE_DIR = `${BENCH_DIR}cache/`
const SIMULATE = fileURLToPath(new URL('./robustness/simulate.ts', import.meta.url))

const { values: flags } = parseArgs({
  options: { quick: { type: 'boolean' }, jobs: { type: 'string' }, only: { type: 'string' }, 'report-only': { type: 'boolean' }, 'rerun-older': { type: 'boolean' }, help: { type: 'boolean' } }
})
if (flags.help === true) {
  console.log('usage: npm run bench:robustness [-- --quick] [-- --jobs N] [-- --only TEXT[,TEXT...]] [-- --report-only] [-- --rerun-older]')
  process.exit(0)
}
const quick = flags.quick === true
const jobs = typeof flags.jobs === 'string' ? Number(flags.jobs) : availableParallelism()
if (!Number.isInteger(jobs) || jobs < 1) {
  console.error(`--jobs: got ${JSON.stringify(flags.jobs)}, allowed: an integer >= 1 (scenarios run at a time)`)
  process.exit(2)
}
const command = `npm run bench:robustness${quick ? ' -- --quick' : ''}`
const only = typeof flags.only === 'string' ? flags.only.split(',') : undefined
const fullOrQuick = quick ? quickMatrix() : fullMatrix()
/** What this run runs; the report covers every cached scenario of the whole matrix, --only or not. */
const matrix = fullOrQuick.filter(s => only === undefined || only.some(text => scenarioId(s).includes(text)))
const prefix = quick ? 'robustness-quick' : 'robustness'

await mkdir(CACHE_DIR, { recursive: true })
const data = benchmarkData()
console.log(`robustness benchmark: ${matrix.length} scenarios, ${NODES} nodes, data ${data.name}, ${jobs} at a time${quick ? `\n${QUICK_REDUCTION}` : ''}`)

const cached = async (s: Scenario): Promise<ScenarioResult | undefined> => {
  const file = `${CACHE_DIR}${scenarioId(s)}.json`
  return existsSync(file) ? JSON.parse(await readFile(file, 'utf8')) as ScenarioResult : undefined
}
const rerunOlder = flags['rerun-older'] === true
/** A cached result counts as done unless --rerun-older and an older simulation made it. */
const isDone = (r: ScenarioResult | undefined): boolean => r !== undefined && !(rerunOlder && (r.simulation ?? 1) < SIMULATION_VERSION)
const pending: Scenario[] = []
let older = 0
for (const s of matrix) {
  const r = await cached(s)
  if (r !== undefined && (r.simulation ?? 1) < SIMULATION_VERSION) older++
  if (!isDone(r)) pending.push(s)
}
console.log(`${matrix.length - pending.length} already in bench/cache/, ${pending.length} to run; ${older} cached by an older simulation than version ${SIMULATION_VERSION}${rerunOlder ? ' (rerun)' : ' (kept; --rerun-older reruns them)'}`)

const startedAt = Date.now()
let done = 0
const total = pending.length
let stopping = false
process.on('SIGINT', () => { stopping = true; console.log('stopping after the runs in progress (their results are kept)') })

/**
 * Run `job` in `child` (simulate.ts --serve): resolves true once the child reports the result
 * written, false when the child exits first (its exit code is printed).
 */
function runIn (child: ChildProcess, job: ScenarioJob): Promise<boolean> {
  return new Promise(resolve => {
    const onMessage = (): void => { child.off('exit', onExit); resolve(true) }
    const onExit = (code: number | null): void => {
      child.off('message', onMessage)
      console.error(`${job.id}: the simulation process exited with code ${code}`)
      resolve(false)
    }
    child.once('message', onMessage)
    child.once('exit', onExit)
    child.send(job)
  })
}

/**
 * One job slot: a simulation process that runs scenario after scenario (module loading and the
 * data set once per process, not per scenario; a scenario's result does not depend on the ones
 * before it), replaced when a run fails.
 */
async function worker (): Promise<void> {
  let child: ChildProcess | undefined
  for (let s = pending.shift(); s !== undefined && !stopping; s = pending.shift()) {
    const id = scenarioId(s)
    // Another run of the command (say with another --only) may have finished it meanwhile.
    if (isDone(await cached(s))) { done++; continue }
    const tmp = `${CACHE_DIR}${id}.json.tmp`
    child ??= fork(SIMULATE, ['--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    const ok = await runIn(child, { scenario: s, id, out: tmp })
    done++
    if (!ok) {
      child = undefined
      console.error(`[${done}] ${id}: failed`)
      continue
    }
    await rename(tmp, `${CACHE_DIR}${id}.json`)
    const r = JSON.parse(await readFile(`${CACHE_DIR}${id}.json`, 'utf8')) as ScenarioResult
    const elapsed = (Date.now() - startedAt) / 1000
    console.log(`[${done}/${total}] ${id}: worst ${(100 * r.worstAccuracy).toFixed(1)} mean ${(100 * r.meanAccuracy).toFixed(1)} (${r.wallSeconds.toFixed(0)} s, ${(r.cpuSeconds ?? NaN).toFixed(0)} CPU s; ${elapsed.toFixed(0)} s so far)`)
  }
  child?.disconnect()
}
if (flags['report-only'] !== true) await Promise.all(Array.from({ length: jobs }, worker))

const results: ScenarioResult[] = []
for (const s of fullOrQuick) {
  const r = await cached(s)
  if (r !== undefined) results.push(r)
}
await writeReport(results, fullOrQuick)
console.log(`wrote bench/${prefix}.md, bench/${prefix}.json and SVG plots: ${results.length} of the ${fullOrQuick.length} scenarios done (this run: ${done} of ${total}); ${((Date.now() - startedAt) / 1000).toFixed(0)} s`)
process.exit(0)

async function writeReport (results: ScenarioResult[], all: Scenario[]): Promise<void> {
  // The rule tables compare float32 runs; the compressed encodings have their own table.
  const t = new ResultTable(results.filter(r => r.scenario.encoding === undefined))
  const missing = all.filter(s => !results.some(r => r.id === scenarioId(s)))
  const ranking = rankRules(t)
  const byGroup = (list: Scenario[]): string => (['S0', 'S1', 'S2', 'S3', 'S4'] as Group[]).map(g => `${g} ${list.filter(s => s.group === g).length}`).join(', ')
  const lines = [
    `# Robustness of meshtrain's aggregation rules${quick ? ' (quick run)' : ''}`,
    '',
    `Produced by \`${command}\` (scripts/bench-robustness.ts). Data: ${results[0]?.data ?? data.name}. ${NODES} nodes, dense 784-64-10, 5 local SGD steps per round (batch 32, learning rate 0.2), ${all[0]?.rounds ?? '?'} rounds; the real round loop, aggregation and attack code over the in-process network, tfjs (wasm) training in one process per scenario.`,
    quick ? `\n${QUICK_REDUCTION}.` : '',
    '',
    `Scenarios done: ${results.length} of ${all.length} (${byGroup(all.filter(s => results.some(r => r.id === scenarioId(s))))}).${missing.length === 0 ? '' : ` Not run yet: ${missing.length} (${byGroup(missing)}); a rerun of the command resumes from bench/cache/.`}`,
    '',
    'Accuracies are on the whole Fashion-MNIST test set (10,000 images), in percent, averaged over the seeds run. "Worst node" is the worst honest node; "worst attack" is the worst over the attacks run for that rule and scenario. Gaps are in points to A_base (the mean rule without attack, same partition). Attackers are the last f of the 16 nodes; their own accuracy is not counted.',
    '',
    '## Headline',
    '',
    markdownTable([HEADLINE_HEADER, ...headlineRows(t)]),
    '',
    '## The choice of the default: every rule ranked by its worst cases',
    '',
    `Each rule's worst case in each of the 8 scenarios (S0 without attack), sorted from the worst; rules compared on the worst first, then on the next where they tie (leximin). A rule is ranked on the attacks it has faced: more can only lower it. The choice is the first rule whose cost without attack is within the 1-point bar, once it has faced all of its attacks and leads the next such rule by more than the noise between seeds. The node's default (DEFAULT_MANIFEST) is ${DEFAULT_RULE}. ${choiceSentence(ranking)}`,
    '',
    seedSpreadSentence(t),
    '',
    markdownTable(rankingRows(ranking)),
    '',
    '## The default rule: the candidates\' worst cases',
    '',
    `The node's default (DEFAULT_MANIFEST) is ${DEFAULT_RULE}. Per rule, the worst honest node under the worst attack run in each scenario, and its gap to A_base; "attacks run" says how much of the matrix each figure covers: a rule is only comparable on the attacks it has faced.`,
    '',
    markdownTable(candidateRows(t)),
    '',
    '## The second round\'s bars',
    '',
    `The worst honest node under the worst attack run, gap to A_base in points, against the bars of the second robustness round (S1 2, S2 4, S3 6, S4 5, no attack 1); S3 and S4 over both partitions where run. "holds so far": within the bar on the attacks run, not yet all of the rule's attacks in the matrix.`,
    '',
    markdownTable(roundTwoRows(t)),
    '',
    `## Targets for the default rule (${DEFAULT_RULE})`,
    '',
    markdownTable([['target', 'measured', 'verdict'], ...targetRows(t)]),
    '',
    `## The same targets for the plain ${PLAIN_MEDIAN}`,
    '',
    markdownTable([['target', 'measured', 'verdict'], ...targetRows(t, PLAIN_MEDIAN)]),
    '',
    `## Model encodings (${DEFAULT_RULE}, no attack)`,
    '',
    'How models travel (the manifest\'s `model.encoding`, docs/wire.md §5): the accuracy cost of float16 and int8 (per-block scales) against float32, the bytes of one model (what a node fetches per peer and round), and the bytes each node fetched per round. Rounds close on the simulation\'s idle clock (scripts/robustness/idle-clock.ts), whose deadline runs out only when no model can come any more, so a node keeps its own model (last row) only when too few peers published, never because the machine was busy.',
    ''
  ]
  for (const partition of ['iid', 'dirichlet:0.5'] as const) {
    const rows = encodingRows(results, partition)
    if (rows !== undefined) lines.push(`### ${partition === 'iid' ? 'IID' : 'Dir(0.5)'}`, '', markdownTable(rows), '')
  }
  lines.push('## Per scenario: worst honest node / mean honest accuracy (%)', '')
  for (const sc of SCENARIO_LIST) {
    const rows = attackMatrix(t, sc.group, sc.partition)
    if (rows === undefined) continue
    lines.push(`### ${sc.label}`, '', markdownTable(rows), '')
  }
  lines.push('## Every run', '', 'Ξ²: honest consensus distance at the end (mean squared distance of the honest models from their average). Rounds to 80%: first measured round (every 10) with mean honest accuracy >= 80% on the first 2,000 test images. Aggregation ms: per node per round. MB: model payload bytes fetched per node per round.', '', markdownTable(runRows(results)), '')
  await writeFile(`${BENCH_DIR}${prefix}.md`, lines.join('\n'))
  await writeFile(`${BENCH_DIR}${prefix}.json`, JSON.stringify({ command, defaultRule: DEFAULT_RULE, ranking, done: results.length, total: all.length, notRun: missing.map(scenarioId), results }, null, 1) + '\n')

  for (const sc of SCENARIO_LIST.filter(s => s.group !== 'S0')) {
    for (const rule of RULES) {
      const series = [{ label: 'no attack', points: curve(t, 'S0', rule, 'none', sc.partition) }, ...attacksOf(rule).map(a => ({ label: a, points: curve(t, sc.group, rule, a, sc.partition) }))].filter(s => s.points.length > 0)
      if (series.length < 2) continue
      const name = `${prefix}-curves-${sc.group}-${sc.partition === 'iid' ? 'iid' : 'dir'}-${rule}.svg`
      await writeFile(`${BENCH_DIR}${name}`, curvesSvg(`${sc.label}, rule ${rule}`, series))
    }
  }
  const groups = SCENARIO_LIST.filter(s => s.group !== 'S0').map(sc => ({
    label: sc.label,
    bars: RULES.map(rule => ({ rule, value: t.worstCase(sc.group, rule, sc.partition)?.worst ?? NaN })).filter(b => Number.isFinite(b.value))
  })).filter(g => g.bars.length > 0)
  if (groups.length > 0) await writeFile(`${BENCH_DIR}${prefix}-worst-case.svg`, worstCaseSvg('Worst honest node under the worst attack, per rule', groups))
}

function curve (t: ResultTable, group: Group, rule: string, attack: string, partition: Partition): { round: number, value: number }[] {
  const runs = t.cell(group, rule, attack, partition)?.runs ?? []
  const first = runs[0]
  if (first === undefined) return []
  return first.curve.map((c, i) => ({ round: c.round, value: runs.reduce((a, r) => a + (r.curve[i]?.mean ?? NaN), 0) / runs.length }))
}
