/**
 * The robustness benchmark's outputs from its results: Markdown tables, JSON, and hand-written
 * SVG plots (accuracy against round per attack; worst-case accuracy per rule).
 */
import type { ScenarioResult } from './simulate.ts'
import type { Group, Partition, Scenario } from './scenarios.ts'
import { DEFAULT_MANIFEST, encodedPayloadBytes, parameterCount } from '../../src/protocol/index.ts'
import { ALIGNED_SEARCHES, ATTACKS, CANDIDATE_RULES, COMPRESSED_ENCODINGS, DEFAULT_RULE, MEMORY_ATTACKS, RULES, STRICTER_FLOOR_SEARCHES, T0_DISSENSUS, attacksOf } from './scenarios.ts'

/** The design card's rule, kept first-class: its targets are shown too. */
export const PLAIN_MEDIAN = 'median'

/**
 * One setting's runs averaged over their seeds. `base` is A_base for the same seeds (the average of
 * each run's own seed's A_base, or of every seed's where that seed's is not run): a seed is its own
 * data split, and Dir(0.5)'s A_base moves by 2.4 points between seeds, so gaps compare like with like.
 */
interface Cell { readonly worst: number, readonly mean: number, readonly averaged: number, readonly seeds: number, readonly runs: ScenarioResult[], readonly base: number }

const pct = (x: number): string => (Number.isFinite(x) ? (100 * x).toFixed(1) : '—')
const gap = (x: number, base: number): string => (Number.isFinite(x) && Number.isFinite(base) ? `${x >= base ? '+' : ''}${(100 * (x - base)).toFixed(1)}` : '—')
const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length

/** Results grouped by scenario without its seed, averaged over seeds. */
export class ResultTable {
  readonly #cells = new Map<string, Cell>()
  readonly results: readonly ScenarioResult[]

  constructor (results: readonly ScenarioResult[]) {
    this.results = results
    const bySetting = new Map<string, ScenarioResult[]>()
    for (const r of results) {
      const key = settingKey(r.scenario)
      bySetting.set(key, [...(bySetting.get(key) ?? []), r])
    }
    const baseRuns = (partition: Partition): ScenarioResult[] => bySetting.get(settingKey({ group: 'S0', rule: 'mean', attack: 'none', byzantine: 0, partition, fanout: 0 })) ?? []
    const baseOf = (partition: Partition, seed: number): number => {
      const runs = baseRuns(partition)
      const own = runs.find(r => r.scenario.seed === seed)
      return own !== undefined ? own.meanAccuracy : runs.length > 0 ? avg(runs.map(r => r.meanAccuracy)) : NaN
    }
    for (const [key, runs] of bySetting) {
      const base = avg(runs.map(r => baseOf(r.scenario.partition, r.scenario.seed)))
      this.#cells.set(key, { worst: avg(runs.map(r => r.worstAccuracy)), mean: avg(runs.map(r => r.meanAccuracy)), averaged: avg(runs.map(r => r.averagedModelAccuracy)), seeds: runs.length, runs, base })
    }
  }

  cell (group: Group, rule: string, attack: string, partition: Partition): Cell | undefined {
    const byzantine = group === 'S0' ? 0 : group === 'S3' ? 5 : 3
    const fanout = group === 'S4' ? 6 : 0
    return this.#cells.get(settingKey({ group, rule, attack, byzantine, partition, fanout }))
  }

  /**
   * How far one setting's worst honest node moves between seeds in one scenario: the standard
   * deviation (fraction) pooled over every setting (rule and attack) run there on two seeds or more,
   * and how many such settings; undefined while none is. A seed is its own data split and its own
   * attackers' draws, so this is the noise of a worst case taken over one seed.
   */
  seedSpread (group: Group, partition: Partition): { sd: number, settings: number } | undefined {
    let squares = 0
    let degrees = 0
    let settings = 0
    for (const cell of this.#cells.values()) {
      const s = cell.runs[0]?.scenario
      if (s === undefined || s.group !== group || s.partition !== partition || cell.seeds < 2) continue
      squares += cell.runs.reduce((sum, r) => sum + (r.worstAccuracy - cell.worst) ** 2, 0)
      degrees += cell.seeds - 1
      settings++
    }
    return settings === 0 ? undefined : { sd: Math.sqrt(squares / degrees), settings }
  }

  /** A_local: local-only training (mean honest accuracy). */
  local (partition: Partition): number { return this.cell('S0', 'local', 'none', partition)?.mean ?? NaN }

  /**
   * The worst case over the attacks run: the largest drop below A_base of the mean honest accuracy
   * and of the worst node, with the attacks and the A_base of their seeds.
   */
  worstCase (group: Group, rule: string, partition: Partition): { mean: number, meanAttack: string, meanBase: number, worst: number, worstAttack: string, worstBase: number, attacks: number } | undefined {
    const cells = attacksOf(rule).map(a => [a, this.cell(group, rule, a, partition)] as const).filter((x): x is readonly [typeof x[0], Cell] => x[1] !== undefined)
    if (cells.length === 0) return undefined
    const byMean = cells.reduce((a, b) => (b[1].mean - b[1].base < a[1].mean - a[1].base ? b : a))
    const byWorst = cells.reduce((a, b) => (b[1].worst - b[1].base < a[1].worst - a[1].base ? b : a))
    return { mean: byMean[1].mean, meanAttack: byMean[0], meanBase: byMean[1].base, worst: byWorst[1].worst, worstAttack: byWorst[0], worstBase: byWorst[1].base, attacks: cells.length }
  }
}

function settingKey (s: Pick<Scenario, 'group' | 'rule' | 'attack' | 'byzantine' | 'partition' | 'fanout'>): string {
  return [s.group, s.rule, s.attack, s.byzantine, s.partition, s.fanout].join('|')
}

const SCENARIOS: readonly { group: Group, partition: Partition, label: string }[] = [
  { group: 'S0', partition: 'iid', label: 'S0 no attack, IID' },
  { group: 'S0', partition: 'dirichlet:0.5', label: 'S0 no attack, Dir(0.5)' },
  { group: 'S1', partition: 'iid', label: 'S1 all peers, f=3, IID' },
  { group: 'S2', partition: 'dirichlet:0.5', label: 'S2 all peers, f=3, Dir(0.5)' },
  { group: 'S3', partition: 'iid', label: 'S3 all peers, f=5, IID' },
  { group: 'S3', partition: 'dirichlet:0.5', label: 'S3 all peers, f=5, Dir(0.5)' },
  { group: 'S4', partition: 'iid', label: 'S4 fanout 6, f=3, IID' },
  { group: 'S4', partition: 'dirichlet:0.5', label: 'S4 fanout 6, f=3, Dir(0.5)' }
]

/** The headline rows: per rule and scenario, the worst honest node under the worst attack, beside A_base and A_local. */
export function headlineRows (t: ResultTable): string[][] {
  const rows: string[][] = []
  for (const sc of SCENARIOS) {
    for (const rule of RULES) {
      if (sc.group === 'S0') {
        const c = t.cell('S0', rule, 'none', sc.partition)
        if (c === undefined) continue
        rows.push([sc.label, rule, 'none', pct(c.worst), gap(c.worst, c.base), pct(c.mean), gap(c.mean, c.base), pct(c.base), pct(t.local(sc.partition)), String(c.seeds)])
        continue
      }
      const w = t.worstCase(sc.group, rule, sc.partition)
      if (w === undefined) continue
      const seeds = t.cell(sc.group, rule, w.worstAttack, sc.partition)?.seeds ?? 0
      rows.push([sc.label, rule, `${w.worstAttack} / ${w.meanAttack} (${w.attacks} attacks)`, pct(w.worst), gap(w.worst, w.worstBase), pct(w.mean), gap(w.mean, w.meanBase), pct(w.worstBase), pct(t.local(sc.partition)), String(seeds)])
    }
  }
  return rows
}

export const HEADLINE_HEADER = ['scenario', 'rule', 'worst attack: for worst node / for mean', 'worst node %', 'gap', 'mean honest %', 'gap', 'A_base %', 'A_local %', 'seeds']

/** Targets T0-T4 of the robustness issue, for the default rule (T0: the mean rule). */
export function targetRows (t: ResultTable, rule = DEFAULT_RULE): string[][] {
  const rows: string[][] = []
  for (const a of ['sign-flip', 'gaussian', T0_DISSENSUS, 'alie-opt', 'ipm-opt']) {
    // The issue names no scenario for T0: both all-peers scenarios at f = 3 are shown, each with its verdict.
    const measured: string[] = []
    const verdicts: string[] = []
    for (const [group, partition] of [['S1', 'iid'], ['S2', 'dirichlet:0.5']] as const) {
      const c = t.cell(group, 'mean', a, partition)
      measured.push(`${group} ${c === undefined ? 'not run' : `${pct(c.mean)} (${gap(c.mean, c.base)})`}`)
      verdicts.push(`${group} ${c === undefined ? '—' : c.mean <= c.base - 0.10 ? 'holds' : 'MISSES'}`)
    }
    rows.push([`T0 mean loses >= 10 under ${a}`, measured.join('; '), verdicts.join(', ')])
  }
  const check = (name: string, value: number | undefined, base: number | undefined, drop: number, what: string): void => {
    rows.push([name, value === undefined || base === undefined ? 'not run' : `${pct(value)} ${what} (${gap(value, base)})`, value === undefined || base === undefined || !Number.isFinite(base) ? '—' : value >= base - drop ? 'holds' : 'MISSES'])
  }
  const s0i = t.cell('S0', rule, 'none', 'iid')
  check(`T1 ${rule} no attack, IID >= A_base - 1.0`, s0i?.mean, s0i?.base, 0.010, 'mean')
  const s0d = t.cell('S0', rule, 'none', 'dirichlet:0.5')
  check(`T1 ${rule} no attack, Dir(0.5) >= A_base - 1.5`, s0d?.mean, s0d?.base, 0.015, 'mean')
  const s1 = t.worstCase('S1', rule, 'iid')
  check(`T2 ${rule} S1 worst case >= A_base - 3`, s1?.mean, s1?.meanBase, 0.03, `mean under ${s1?.meanAttack} (${s1?.attacks} attacks)`)
  const s2 = t.worstCase('S2', rule, 'dirichlet:0.5')
  check(`T3 ${rule} S2 worst case >= A_base - 5`, s2?.mean, s2?.meanBase, 0.05, `mean under ${s2?.meanAttack} (${s2?.attacks} attacks)`)
  check(`T3 ${rule} S2 worst node >= A_base - 8`, s2?.worst, s2?.worstBase, 0.08, `worst node under ${s2?.worstAttack}`)
  const s4 = t.worstCase('S4', rule, 'iid')
  check(`T4 ${rule} S4 IID mean >= A_base - 5`, s4?.mean, s4?.meanBase, 0.05, `mean under ${s4?.meanAttack} (${s4?.attacks} attacks)`)
  const runs = t.results
  const nonFinite = (robust: boolean): ScenarioResult[] => runs.filter(r => r.nonFinite && (r.scenario.rule !== 'mean') === robust)
  const listed = (list: ScenarioResult[]): string => list.length === 0 ? '' : ` (${list.map(r => `${r.scenario.group} ${r.scenario.rule} ${r.scenario.attack}`).join(', ')})`
  const robustRuns = runs.filter(r => r.scenario.rule !== 'mean' && r.scenario.rule !== 'local').length
  const meanRuns = runs.filter(r => r.scenario.rule === 'mean').length
  rows.push(['no robust rule yields a non-finite model', `${nonFinite(true).length} of ${robustRuns} runs${listed(nonFinite(true))}`, nonFinite(true).length === 0 ? 'holds' : 'MISSES'])
  rows.push(['the mean (the control) yields no non-finite model', `${nonFinite(false).length} of ${meanRuns} runs${listed(nonFinite(false))}`, nonFinite(false).length === 0 ? 'holds' : 'MISSES'])
  const stalled = runs.reduce((a, r) => a + r.stalledNodes, 0)
  rows.push(['no honest node stalls', `${stalled} stalled nodes in ${runs.length} runs`, stalled === 0 ? 'holds' : 'MISSES'])
  return rows
}

/**
 * The choice of the default rule: per candidate, its worst case (lowest worst honest node over
 * the attacks run) in each scenario of the second round, as a gap to A_base, and the attacks run.
 */
export function candidateRows (t: ResultTable): string[][] {
  const scenarios = [
    { group: 'S0', partition: 'iid', label: 'S0 IID' }, { group: 'S0', partition: 'dirichlet:0.5', label: 'S0 Dir(0.5)' },
    { group: 'S1', partition: 'iid', label: 'S1' }, { group: 'S2', partition: 'dirichlet:0.5', label: 'S2' },
    { group: 'S3', partition: 'iid', label: 'S3 IID' }, { group: 'S3', partition: 'dirichlet:0.5', label: 'S3 Dir(0.5)' },
    { group: 'S4', partition: 'iid', label: 'S4 IID' }, { group: 'S4', partition: 'dirichlet:0.5', label: 'S4 Dir(0.5)' }
  ] as const
  const rows = [['rule', ...scenarios.map(sc => `${sc.label} worst node (gap; worst attack, attacks run)`)]]
  for (const rule of [...CANDIDATE_RULES, ...RULES.filter(r => !(CANDIDATE_RULES as readonly string[]).includes(r) && r !== 'mean')]) {
    const cells = scenarios.map(sc => {
      if (sc.group === 'S0') {
        const c = t.cell('S0', rule, 'none', sc.partition)
        return c === undefined ? 'not run' : `${pct(c.worst)} (${gap(c.worst, c.base)})`
      }
      const w = t.worstCase(sc.group, rule, sc.partition)
      return w === undefined ? 'not run' : `${pct(w.worst)} (${gap(w.worst, w.worstBase)}; ${w.worstAttack}, ${w.attacks})`
    })
    if (cells.some(c => c !== 'not run')) rows.push([rule, ...cells])
  }
  return rows
}

/**
 * The bars of the second robustness round (issue 17) for the worst honest node under the worst
 * attack run, in points below A_base: S1 (IID) 2, S2 (Dir(0.5)) 4, S3 (f = 5) 6, S4 (fanout 6) 5;
 * without attack 1 (worse of IID and Dir(0.5)). S3 and S4 take the worse of the partitions run.
 */
export const ROUND_TWO_BARS = [
  { label: 'no attack', group: 'S0', partitions: ['iid', 'dirichlet:0.5'], bar: 1 },
  { label: 'S1 IID', group: 'S1', partitions: ['iid'], bar: 2 },
  { label: 'S2 Dir(0.5)', group: 'S2', partitions: ['dirichlet:0.5'], bar: 4 },
  { label: 'S3 f=5', group: 'S3', partitions: ['iid', 'dirichlet:0.5'], bar: 6 },
  { label: 'S4 fanout 6', group: 'S4', partitions: ['iid', 'dirichlet:0.5'], bar: 5 }
] as const

/**
 * Per candidate and bar: the worst honest node's largest gap to A_base over the attacks run (and
 * partitions), with the attack, the attacks run of the matrix's, and the verdict ("holds so far"
 * until every attack of the matrix has run there).
 */
export function roundTwoRows (t: ResultTable, rules: readonly string[] = CANDIDATE_RULES): string[][] {
  const rows = [['rule', ...ROUND_TWO_BARS.map(b => `${b.label}: gap (bar -${b.bar})`)]]
  for (const rule of rules) {
    rows.push([rule, ...ROUND_TWO_BARS.map(b => {
      const runs = b.partitions.flatMap(partition => {
        if (b.group === 'S0') {
          const c = t.cell('S0', rule, 'none', partition)
          return c === undefined ? [] : [{ gap: c.worst - c.base, attack: 'none', partition, attacks: 1, of: 1 }]
        }
        const w = t.worstCase(b.group, rule, partition)
        return w === undefined ? [] : [{ gap: w.worst - w.worstBase, attack: w.worstAttack, partition, attacks: w.attacks, of: attacksOf(rule).length }]
      })
      if (runs.length === 0) return 'not run'
      const worst = runs.reduce((a, r) => (r.gap < a.gap ? r : a))
      const complete = runs.length === b.partitions.length && runs.every(r => r.attacks === r.of)
      const verdict = worst.gap < -b.bar / 100 ? 'MISSES' : complete ? 'holds' : 'holds so far'
      const where = b.partitions.length > 1 ? `${worst.partition === 'iid' ? 'IID' : 'Dir(0.5)'}` : ''
      const coverage = b.group === 'S0'
        ? `${runs.length} of ${b.partitions.length} partitions`
        : `${worst.attack}; attacks run ${runs.map(r => `${r.partition === 'iid' ? 'IID' : 'Dir(0.5)'} ${r.attacks} of ${r.of}`).join(', ')}`
      return `${(100 * worst.gap).toFixed(2)} (${[where, coverage].filter(x => x !== '').join(', ')}) ${verdict}`
    })])
  }
  return rows
}

/**
 * A rule's worst case in one scenario of the matrix: the worst honest node's gap to A_base
 * (fraction) under its worst attack, or without attack in S0, the seeds averaged, and the
 * scenario's seed-to-seed spread (ResultTable.seedSpread; NaN while not measured).
 */
export interface ScenarioWorstCase { readonly scenario: string, readonly gap: number, readonly attack: string, readonly seeds: number, readonly spread: number }

/**
 * A rule's place in the choice of the default: its worst cases from the worst, the runs of its
 * attacks (attacksOf) not yet in the matrix's results, and whether its cost without attack (the
 * worse partition) is within the no-attack bar.
 */
export interface RankedRule { readonly rule: string, readonly worstCases: readonly ScenarioWorstCase[], readonly missingAttacks: number, readonly meetsNoAttackBar: boolean }

/** The no-attack bar (ROUND_TWO_BARS): the most a rule may cost an unattacked network, as a fraction. */
const NO_ATTACK_BAR = 0.01

/**
 * The choice of the default rule, as the matrix makes it: every rule but the control that has run
 * in all 8 scenarios, ranked by its worst cases sorted from the worst, compared the worst first,
 * then the next where they tie, and so on (leximin): the best worst case over every attack and
 * scenario, the next worst case breaking a tie. A rule is ranked on the attacks it has faced; more
 * can only lower it, so the first rule is the matrix's choice once it has faced all of its attacks
 * (`missingAttacks` 0), and a rule with missing attacks ranked below it cannot pass it.
 */
export function rankRules (t: ResultTable, rules: readonly string[] = RULES.filter(r => r !== 'mean')): RankedRule[] {
  const ranked: RankedRule[] = []
  for (const rule of rules) {
    const worstCases: ScenarioWorstCase[] = []
    let missingAttacks = 0
    for (const sc of SCENARIOS) {
      const label = sc.label.replace(/ all peers| no attack|,/g, '')
      const spread = t.seedSpread(sc.group, sc.partition)?.sd ?? NaN
      if (sc.group === 'S0') {
        const c = t.cell('S0', rule, 'none', sc.partition)
        if (c !== undefined) worstCases.push({ scenario: label, gap: c.worst - c.base, attack: 'none', seeds: c.seeds, spread })
        continue
      }
      const w = t.worstCase(sc.group, rule, sc.partition)
      if (w !== undefined) worstCases.push({ scenario: label, gap: w.worst - w.worstBase, attack: w.worstAttack, seeds: t.cell(sc.group, rule, w.worstAttack, sc.partition)?.seeds ?? 0, spread })
      missingAttacks += attacksOf(rule).length - (w?.attacks ?? 0)
    }
    const meetsNoAttackBar = worstCases.every(w => w.attack !== 'none' || w.gap >= -NO_ATTACK_BAR)
    if (worstCases.length === SCENARIOS.length) ranked.push({ rule, worstCases: worstCases.sort((a, b) => a.gap - b.gap), missingAttacks, meetsNoAttackBar })
  }
  return ranked.sort((a, b) => {
    for (let i = 0; i < a.worstCases.length; i++) {
      const d = (b.worstCases[i]?.gap ?? 0) - (a.worstCases[i]?.gap ?? 0)
      if (d !== 0) return d
    }
    return 0
  })
}

/** rankRules as a table: rank, rule, its worst cases from the worst (gap in points, scenario, attack, seeds), the attacks it has not faced, the no-attack bar. */
export function rankingRows (ranked: readonly RankedRule[]): string[][] {
  const rows = [['rank', 'rule', 'worst cases, from the worst: gap to A_base in points (scenario, attack, seeds averaged)', 'attack runs not yet made', `cost without attack within ${100 * NO_ATTACK_BAR} point`]]
  ranked.forEach((r, i) => rows.push([String(i + 1), r.rule, r.worstCases.map(w => `${(100 * w.gap).toFixed(2)} (${w.scenario}, ${w.attack}, ${w.seeds})`).join('; '), String(r.missingAttacks), r.meetsNoAttackBar ? 'yes' : 'no']))
  return rows
}

/**
 * The matrix's choice: the first rule of the ranking whose cost without attack is within the
 * no-attack bar (a figure the default must reach whatever the attacks: every network pays it,
 * attacked or not), once it has faced all of its attacks; a rule ranked below it cannot pass it.
 * Undefined while no ranked rule meets the bar.
 */
export function matrixChoice (ranked: readonly RankedRule[]): RankedRule | undefined {
  return ranked.find(r => r.meetsNoAttackBar)
}

/**
 * Whether the leader's lead over the runner-up is more than noise: at the first worst case where
 * they differ (the one leximin decides on), the difference against twice its standard error (each
 * worst case's scenario spread over the root of its seeds), and about how many seeds each would
 * need for that lead to clear it. NaN noise while a scenario's spread is not measured.
 */
export function leadOverNoise (leader: RankedRule, runnerUp: RankedRule): { lead: number, noise: number, seedsNeeded: number, at: ScenarioWorstCase, against: ScenarioWorstCase } {
  const i = Math.max(0, leader.worstCases.findIndex((w, j) => w.gap !== runnerUp.worstCases[j]?.gap))
  const at = leader.worstCases[i] as ScenarioWorstCase
  const against = runnerUp.worstCases[i] as ScenarioWorstCase
  const lead = at.gap - against.gap
  const noise = 2 * Math.sqrt(at.spread ** 2 / at.seeds + against.spread ** 2 / against.seeds)
  return { lead, noise, seedsNeeded: Math.ceil(4 * (at.spread ** 2 + against.spread ** 2) / lead ** 2), at, against }
}

/**
 * What the ranking says of the choice: the rule chosen, whether the choice is settled, the rule
 * first without the no-attack bar, and the default's place. Settled: the first rule has faced all
 * of its attacks, and its lead over the runner-up is more than the noise between seeds
 * (leadOverNoise): a lead within the noise would change with the next seed.
 */
export function choiceSentence (ranked: readonly RankedRule[], defaultRule = DEFAULT_RULE): string {
  const choice = matrixChoice(ranked)
  if (choice === undefined) return 'no rule that has run in every scenario is within the no-attack bar yet.'
  const place = ranked.findIndex(r => r.rule === defaultRule) + 1
  const runnerUp = ranked.filter(r => r.meetsNoAttackBar)[1]
  const points = (x: number): string => (100 * x).toFixed(2)
  let chosen: string
  if (choice.missingAttacks > 0) {
    chosen = `${choice.rule} leads with ${choice.missingAttacks} attack runs not yet made, so the choice is open`
  } else if (runnerUp === undefined) {
    chosen = `${choice.rule} has faced all of its attacks and is the only rule within the bar, so it is the matrix's choice`
  } else {
    const { lead, noise, seedsNeeded, at, against } = leadOverNoise(choice, runnerUp)
    const where = at.scenario === against.scenario ? at.scenario : `${at.scenario} against ${against.scenario}`
    const leads = `${choice.rule} leads ${runnerUp.rule} by ${points(lead)} points on the worst case that decides (${where}; ${at.seeds} seed(s) against ${against.seeds})`
    chosen = !Number.isFinite(noise)
      ? `${leads}, and the spread between seeds there is not measured yet, so the choice is open`
      : lead > noise
        ? `${leads}, more than the noise between seeds (twice the standard error of the difference: ${points(noise)} points), and has faced all of its attacks, so it is the matrix's choice`
        : `${leads}, within the noise between seeds (twice the standard error of the difference: ${points(noise)} points; seed-to-seed spread ${points(at.spread)}${at.spread === against.spread ? '' : ` and ${points(against.spread)}`} points), so the choice is open${Number.isFinite(seedsNeeded) ? `: about ${seedsNeeded} seeds each would separate them` : ''}`
  }
  const first = ranked[0] as RankedRule
  const unbarred = first.rule === choice.rule ? '' : ` Without the no-attack bar, ${first.rule} would rank first (${first.missingAttacks === 0 ? 'all of its attacks faced' : `${first.missingAttacks} attack runs not yet made`}).`
  const standing = choice.rule === defaultRule ? 'the default is that rule' : place > 0 ? `the default ranks ${place} of ${ranked.length}` : 'the default is not ranked yet'
  return `Among the rules within the no-attack bar, ${chosen}; ${standing}.${unbarred}`
}

/** The seed-to-seed spread (ResultTable.seedSpread) of every scenario, in points, for the report. */
export function seedSpreadSentence (t: ResultTable): string {
  const parts = SCENARIOS.map(sc => {
    const spread = t.seedSpread(sc.group, sc.partition)
    return `${sc.label.replace(/ all peers| no attack|,/g, '')} ${spread === undefined ? 'not measured' : `${(100 * spread.sd).toFixed(2)} (${spread.settings} settings)`}`
  })
  return `The worst honest node's seed-to-seed standard deviation in points, pooled over the settings run on two seeds or more: ${parts.join('; ')}.`
}

/** One table per scenario: attacks down, rules across, worst node / mean honest accuracy. */
export function attackMatrix (t: ResultTable, group: Group, partition: Partition): string[][] | undefined {
  const attacks = group === 'S0' ? ['none'] : [...ATTACKS, ...ALIGNED_SEARCHES, ...STRICTER_FLOOR_SEARCHES, ...MEMORY_ATTACKS]
  const rules = RULES.filter(r => attacks.some(a => t.cell(group, r, a, partition) !== undefined))
  if (rules.length === 0) return undefined
  const rows = [['attack', ...rules]]
  for (const a of attacks) {
    const cells = rules.map(r => t.cell(group, r, a, partition))
    if (cells.every(c => c === undefined)) continue
    rows.push([a, ...cells.map(c => (c === undefined ? '' : `${pct(c.worst)} / ${pct(c.mean)}`))])
  }
  return rows
}

export function markdownTable (rows: string[][]): string {
  const [head, ...body] = rows
  if (head === undefined) return ''
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map(r => `| ${r.join(' | ')} |`)].join('\n')
}

export function runRows (results: readonly ScenarioResult[]): string[][] {
  return [
    ['run', 'worst %', 'mean %', 'averaged model %', 'Ξ²', 'rounds to 80%', 'aggregation ms', 'MB / node / round', 'kept own', 'wall s'],
    ...results.map(r => [r.id, pct(r.worstAccuracy), pct(r.meanAccuracy), pct(r.averagedModelAccuracy), (Number.isFinite(r.consensusDistance) ? r.consensusDistance.toExponential(2) : 'diverged'), String(r.roundsTo80 ?? '—'), r.aggregationMs.toFixed(2), (r.bytesPerNodePerRound / 1e6).toFixed(2), String(r.keptOwnRounds), r.wallSeconds.toFixed(0)])
  ]
}

export const SCENARIO_LIST = SCENARIOS

/**
 * One column per model encoding for the default rule without attack (S0), per partition run:
 * accuracy, its cost against float32 in points, and payload bytes per node and round against
 * float32's. Targets (issue 16): at most 0.5 points for float16, 1.5 for int8.
 */
export function encodingRows (results: readonly ScenarioResult[], partition: Partition): string[][] | undefined {
  const encodings = ['float32', ...COMPRESSED_ENCODINGS] as const
  const parameters = parameterCount(DEFAULT_MANIFEST.model)
  const runsOfAnySeed = (encoding: string): ScenarioResult[] => results.filter(r => r.scenario.group === 'S0' && r.scenario.rule === DEFAULT_RULE &&
    r.scenario.partition === partition && (r.scenario.encoding ?? 'float32') === encoding)
  // Like with like: float32 on the seeds the compressed encodings ran (a seed is its own data split).
  const compressedSeeds = new Set(COMPRESSED_ENCODINGS.flatMap(e => runsOfAnySeed(e).map(r => r.scenario.seed)))
  const runsOf = (encoding: string): ScenarioResult[] => runsOfAnySeed(encoding).filter(r => encoding !== 'float32' || compressedSeeds.has(r.scenario.seed))
  const cells = encodings.map(e => {
    const runs = runsOf(e)
    return runs.length === 0
      ? undefined
      : { mean: avg(runs.map(r => r.meanAccuracy)), worst: avg(runs.map(r => r.worstAccuracy)), fetched: avg(runs.map(r => r.bytesPerNodePerRound)), keptOwn: avg(runs.map(r => r.keptOwnRounds)), payload: encodedPayloadBytes(e, parameters) }
  })
  const [f32] = cells
  if (f32 === undefined || cells.slice(1).every(c => c === undefined)) return undefined
  const targets: Record<string, number> = { float16: 0.005, int8: 0.015 }
  const show = (f: (c: NonNullable<(typeof cells)[number]>, e: string) => string): string[] => cells.map((c, i) => (c === undefined ? 'not run' : f(c, encodings[i] as string)))
  return [
    ['', ...encodings],
    ['mean honest %', ...show(c => pct(c.mean))],
    ['worst node %', ...show(c => pct(c.worst))],
    ['cost vs float32, points (mean)', ...show(c => (100 * (f32.mean - c.mean)).toFixed(2))],
    ['target', ...show((c, e) => (e === 'float32' ? '—' : `<= ${(100 * (targets[e] ?? 0)).toFixed(1)}: ${f32.mean - c.mean <= (targets[e] ?? 0) ? 'holds' : 'MISSES'}`))],
    ['bytes per model', ...show(c => c.payload.toLocaleString('en'))],
    ['bytes per model vs float32', ...show(c => `${(f32.payload / c.payload).toFixed(2)}x less`)],
    ['MB fetched / node / round (measured)', ...show(c => (c.fetched / 1e6).toFixed(3))],
    ['node-rounds that kept their own model (too few inputs)', ...show(c => String(c.keptOwn))]
  ]
}

const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#000000', '#aec7e8']

/** Mean honest accuracy against round, one line per attack (and no attack). */
export function curvesSvg (title: string, series: readonly { label: string, points: readonly { round: number, value: number }[] }[]): string {
  const W = 640, H = 400, L = 50, R = 170, T = 30, B = 40
  const maxRound = Math.max(1, ...series.flatMap(s => s.points.map(p => p.round)))
  const x = (r: number): number => L + (W - L - R) * r / maxRound
  const y = (v: number): number => T + (H - T - B) * (1 - v)
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`, `<rect width="${W}" height="${H}" fill="white"/>`, `<text x="${L}" y="18" font-size="13">${esc(title)}</text>`]
  for (let v = 0; v <= 1.0001; v += 0.1) parts.push(`<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${L - 5}" y="${y(v) + 4}" text-anchor="end">${Math.round(v * 100)}</text>`)
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle">round</text>`, `<text x="12" y="${(T + H - B) / 2}" transform="rotate(-90 12 ${(T + H - B) / 2})" text-anchor="middle">mean honest test accuracy %</text>`)
  for (const r of [0, maxRound / 2, maxRound]) parts.push(`<text x="${x(r)}" y="${H - B + 14}" text-anchor="middle">${Math.round(r)}</text>`)
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length] as string
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${s.points.map(p => `${x(p.round).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ')}"/>`)
    parts.push(`<line x1="${W - R + 10}" x2="${W - R + 30}" y1="${T + 14 * i}" y2="${T + 14 * i}" stroke="${colour}" stroke-width="2"/><text x="${W - R + 35}" y="${T + 14 * i + 4}">${esc(s.label)}</text>`)
  })
  parts.push('</svg>')
  return parts.join('\n') + '\n'
}

/** Horizontal bars: worst-case worst-node accuracy per rule, one group of bars per scenario. */
export function worstCaseSvg (title: string, groups: readonly { label: string, bars: readonly { rule: string, value: number }[] }[]): string {
  const rules = [...RULES]
  const rowH = 12, groupGap = 18, L = 210, W = 640, T = 30
  const height = T + groups.reduce((a, g) => a + g.bars.length * rowH + groupGap, 0) + 30
  const x = (v: number): number => L + (W - L - 60) * v
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" font-family="sans-serif" font-size="10">`, `<rect width="${W}" height="${height}" fill="white"/>`, `<text x="10" y="18" font-size="13">${esc(title)}</text>`]
  for (let v = 0; v <= 1.0001; v += 0.2) parts.push(`<line x1="${x(v)}" x2="${x(v)}" y1="${T - 4}" y2="${height - 24}" stroke="#ddd"/><text x="${x(v)}" y="${height - 12}" text-anchor="middle">${Math.round(v * 100)}%</text>`)
  let top = T
  for (const g of groups) {
    parts.push(`<text x="10" y="${top + 9}" font-weight="bold">${esc(g.label)}</text>`)
    for (const b of g.bars) {
      const colour = COLOURS[rules.indexOf(b.rule as (typeof RULES)[number]) % COLOURS.length] as string
      parts.push(`<text x="${L - 5}" y="${top + 9}" text-anchor="end">${esc(b.rule)}</text><rect x="${L}" y="${top + 1}" width="${Math.max(0, x(b.value) - L).toFixed(1)}" height="${rowH - 2}" fill="${colour}"/><text x="${(x(b.value) + 3).toFixed(1)}" y="${top + 9}">${pct(b.value)}</text>`)
      top += rowH
    }
    top += groupGap
  }
  parts.push('</svg>')
  return parts.join('\n') + '\n'
}

function esc (text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
