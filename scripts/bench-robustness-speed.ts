/**
 * `npm run bench:robustness-speed [-- --rounds N] [-- --json]`: what the full robustness matrix
 * (`npm run bench:robustness`) costs on this machine. Runs one scenario of each kind (the
 * attacker's work per round sets the kind) for N rounds (default 30), one after another in one
 * simulation process as a job of the benchmark runs them, reads the CPU seconds each reports
 * (process.cpuUsage, user + system), and projects the matrix: per kind, its set-up CPU, its
 * final evaluation's (the whole test set, once per run) and its per-round CPU times the matrix's
 * rounds, times the number of the matrix's scenarios of that kind, summed, plus the process start-up (module loading, the data set) once per job, divided by the jobs run at a time
 * (os.availableParallelism()).
 * CPU seconds, not wall time, so that other work on a shared machine changes the figures little;
 * the projection assumes every job has a core to itself. The scenarios run with the default rule
 * (DEFAULT_RULE); other rules' aggregations cost more (geometric median) or less (mean).
 * Writes nothing to bench/cache/ (`--keep DIR`: the scenario results to DIR).
 */
import { fork } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { DEFAULT_RULE, S4_FANOUT, fullMatrix, scenarioId } from './robustness/scenarios.ts'
import type { Scenario } from './robustness/scenarios.ts'
import type { ScenarioJob, ScenarioResult } from './robustness/simulate.ts'

const SIMULATE = fileURLToPath(new URL('./robustness/simulate.ts', import.meta.url))

/** The attacker's work per round: a search of 72 rule evaluations, one of 20, or none. */
export type SpeedKind = 'objective search' | 'line search' | 'no search'

/** undo-progress and own-loss (with any parameters: `slack=1`, `floor=T`): 3 directions of 16 grid and 8 line-search factors; alie-opt and ipm-opt: 20 factors. */
export function speedKind (s: Scenario): SpeedKind {
  const name = s.attack.split(':')[0]
  if (name === 'undo-progress' || name === 'own-loss') return 'objective search'
  if (name === 'alie-opt' || name === 'ipm-opt') return 'line search'
  return 'no search'
}

/** The scenario measured for each kind (the figures: S2 undo-progress, S4 alie-opt, S1 alie). */
export function speedScenarios (rounds: number): Record<SpeedKind, Scenario> {
  const base = { rule: DEFAULT_RULE, byzantine: 3, seed: 1, rounds } as const
  return {
    'objective search': { ...base, group: 'S2', attack: 'undo-progress', partition: 'dirichlet:0.5', fanout: 0 },
    'line search': { ...base, group: 'S4', attack: 'alie-opt', partition: 'iid', fanout: S4_FANOUT },
    'no search': { ...base, group: 'S1', attack: 'alie', partition: 'iid', fanout: 0 }
  }
}

/** Run the scenarios one after another in one simulation process, as a job of bench:robustness runs them. */
async function measureAll (scenarios: readonly Scenario[], dir: string): Promise<ScenarioResult[]> {
  const child = fork(SIMULATE, ['--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const results: ScenarioResult[] = []
  try {
    for (const s of scenarios) {
      const job: ScenarioJob = { scenario: s, id: scenarioId(s), out: join(dir, `${scenarioId(s)}.json`) }
      await new Promise<void>((resolve, reject) => {
        const onExit = (code: number | null): void => reject(new Error(`${job.id}: the simulation process exited with code ${code}`))
        child.once('exit', onExit)
        child.once('message', () => { child.off('exit', onExit); resolve() })
        child.send(job)
      })
      results.push(JSON.parse(await readFile(job.out, 'utf8')) as ScenarioResult)
    }
  } finally {
    if (child.connected) child.disconnect()
  }
  return results
}

if (import.meta.main) {
  const { values: flags } = parseArgs({ options: { rounds: { type: 'string' }, json: { type: 'boolean' }, keep: { type: 'string' }, help: { type: 'boolean' } } })
  if (flags.help === true) {
    console.log('usage: npm run bench:robustness-speed [-- --rounds N] [-- --json] [-- --keep DIR]  (--keep: leave the scenario results in DIR)')
    process.exit(0)
  }
  const rounds = flags.rounds === undefined ? 30 : Number(flags.rounds)
  if (!Number.isInteger(rounds) || rounds < 2) {
    console.error(`--rounds: got ${JSON.stringify(flags.rounds)}, allowed: an integer >= 2 (rounds per measured scenario)`)
    process.exit(2)
  }
  const json = flags.json === true
  const say = (line: string): void => { if (!json) console.log(line) }
  const matrix = fullMatrix()
  const matrixRounds = (matrix[0] as Scenario).rounds
  const jobs = availableParallelism()
  const keep = flags.keep
  const dir = keep ?? await mkdtemp(join(tmpdir(), 'meshtrain-robustness-speed-'))
  await mkdir(dir, { recursive: true })
  const kinds: Array<{ kind: SpeedKind, scenario: string, cpuSeconds: number, setupCpuSeconds: number, finalCpuSeconds: number, cpuSecondsPerRound: number, scenarios: number, projectedCpuSeconds: number }> = []
  const measured = Object.entries(speedScenarios(rounds)) as Array<[SpeedKind, Scenario]>
  let results: ScenarioResult[]
  try {
    results = await measureAll(measured.map(([, s]) => s), dir)
  } finally {
    if (keep === undefined) await rm(dir, { recursive: true, force: true })
  }
  // Once per job process: module loading and the data set.
  const dataCpuSeconds = results.reduce((a, r) => a + (r.dataCpuSeconds ?? 0), 0)
  const first = results[0] as ScenarioResult
  const startupCpuSeconds = (first.processCpuSeconds ?? NaN) - (first.cpuSeconds ?? NaN)
  say(`simulation process start-up: ${startupCpuSeconds.toFixed(2)} CPU s (module loading and the data set, ${dataCpuSeconds.toFixed(2)} s of it), once per job`)
  measured.forEach(([kind, s], i) => {
    const r = results[i] as ScenarioResult
    const cpu = r.cpuSeconds ?? NaN
    const setup = r.setupCpuSeconds ?? NaN
    // A fixed cost of the run, as the set-up is: scaled with the rounds it would count 200/30 times over.
    const final = r.finalCpuSeconds ?? NaN
    const perRound = (cpu - setup - final) / rounds
    const count = matrix.filter(m => speedKind(m) === kind).length
    const projected = count * (setup + final + perRound * matrixRounds)
    kinds.push({ kind, scenario: scenarioId(s), cpuSeconds: cpu, setupCpuSeconds: setup, finalCpuSeconds: final, cpuSecondsPerRound: perRound, scenarios: count, projectedCpuSeconds: projected })
    say(`${kind}: ${scenarioId(s)}: ${cpu.toFixed(2)} CPU s for ${rounds} rounds (set-up ${setup.toFixed(2)} s, final evaluation ${final.toFixed(2)} s, ${perRound.toFixed(3)} s per round); ${count} such scenarios of ${matrixRounds} rounds in the matrix: ${(projected / 3600).toFixed(2)} CPU hours`)
  })
  const cpuSeconds = kinds.reduce((a, k) => a + k.projectedCpuSeconds, 0) + jobs * startupCpuSeconds
  const hours = cpuSeconds / jobs / 3600
  say(`full matrix: ${matrix.length} scenarios, ${(cpuSeconds / 3600).toFixed(2)} CPU hours; on ${jobs} cores ${hours.toFixed(2)} hours`)
  if (json) console.log(JSON.stringify({ rounds, matrixScenarios: matrix.length, matrixRounds, jobs, startupCpuSeconds, dataCpuSeconds, kinds, projectedCpuHours: cpuSeconds / 3600, projectedHours: hours }))
}
