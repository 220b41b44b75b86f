/**
 * `npm run bench:privacy [-- --quick] [-- --json] [-- --only TEXT]`: record-level DP (DP-SGD on
 * every honest node) together with a robust rule (median+nnm, the default rule when it was measured), on the robustness benchmark's setup
 * (16 nodes, Fashion-MNIST, dense 784-64-10, IID shards; the non-private swarms train 5 local
 * steps of batch 32 at learning rate 0.2 per round): the worst and mean honest accuracy at
 * epsilon 8, 4 and 1 (delta 1e-5) against the non-private swarm, and at epsilon 4 with 3 of 16
 * attackers. The private swarms' manifest has training settings of its own, tuned for DP-SGD
 * (a larger expected batch, so sigma over the batch is smaller for the same epsilon, and a larger
 * learning rate, since clipping shrinks every gradient; Ponomareva et al. 2023, "How to DP-fy ML",
 * https://arxiv.org/abs/2303.00654; De et al. 2022, https://arxiv.org/abs/2204.13650): by default
 * 6 steps of expected batch 256 per round at learning rate 2 and clipping norm 1 (--batch-size,
 * --local-steps, --learning-rate, --clip-norm change them; every setting has its own cache
 * entries). In quick runs at epsilon 4 more steps per round did better than larger batches (the
 * README's privacy section lists the settings tried). Plus the DP-SGD step's
 * cost over a plain step on wasm (scripts/bench-dp-step.ts). Each honest node takes the smallest
 * sigma that keeps all the rounds within the budget at its own sampling rate (the manifest's
 * noiseMultiplier "auto"), and its epsilon is recomputed from the steps it took.
 * Runs one scenario at a time in a child process; finished runs are cached under bench/cache/
 * (the non-private baseline is the robustness benchmark's own cached run when present). A cache
 * entry's name says the scenario and settings, not the code that ran it: delete the entries a
 * change to the simulation makes stale (the private runs made with the 10 s round deadline kept
 * their own model in most rounds).
 * --quick: 100 rounds, one attack (alie); the full run: 200 rounds, attacks alie and alie-opt
 * (the worst against the non-private default rule in bench/robustness.md).
 * With --json, one JSON object (dpStepRatio, rows) on stdout; the table goes to stderr. Either way
 * the table and the object are written to bench/privacy.md and bench/privacy.json (with --quick:
 * bench/privacy-quick.*).
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { scenarioId } from './robustness/scenarios.ts'
import type { Scenario } from './robustness/scenarios.ts'
import type { PrivacyRun, ScenarioResult } from './robustness/simulate.ts'
import { benchmarkData } from './robustness/simulate.ts'

const BENCH_DIR = fileURLToPath(new URL('../bench/', import.meta.url))
const CACHE_DIR = `${BENCH_DIR}cache/`
const SIMULATE = fileURLToPath(new URL('./robustness/simulate.ts', import.meta.url))
const DP_STEP = fileURLToPath(new URL('./bench-dp-step.ts', import.meta.url))
const RULE = 'median+nnm'
const DELTA = 1e-5
const EPSILONS = [8, 4, 1] as const
const ATTACKERS = 3

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean' }, json: { type: 'boolean' }, only: { type: 'string' },
    'clip-norm': { type: 'string', default: '1' }, 'learning-rate': { type: 'string', default: '2' },
    'batch-size': { type: 'string', default: '256' }, 'local-steps': { type: 'string', default: '6' }
  }
})
const CLIP_NORM = Number(flags['clip-norm'])
/** The private swarm's manifest training settings (the non-private rows keep the robustness benchmark's). */
const PRIVATE_TRAINING = { batchSize: Number(flags['batch-size']), localSteps: Number(flags['local-steps']), learningRate: Number(flags['learning-rate']) }
const quick = flags.quick === true
const rounds = quick ? 100 : 200
const attacks = quick ? ['alie'] : ['alie', 'alie-opt']
const out = (line: string): void => { (flags.json === true ? process.stderr : process.stdout).write(line + '\n') }

interface Row { readonly label: string, readonly scenario: Scenario, readonly privacy?: PrivacyRun }
const base = (attack: string, byzantine: number): Scenario => ({ group: byzantine === 0 ? 'S0' : 'S1', rule: RULE, attack, byzantine, partition: 'iid', fanout: 0, seed: 1, rounds })
const privacy = (epsilon: number): PrivacyRun => ({ epsilon, delta: DELTA, clipNorm: CLIP_NORM, training: PRIVATE_TRAINING })
const rows: Row[] = [
  { label: 'non-private', scenario: base('none', 0) },
  ...EPSILONS.map(e => ({ label: `epsilon ${e}`, scenario: base('none', 0), privacy: privacy(e) })),
  ...attacks.map(a => ({ label: 'non-private, attacked', scenario: base(a, ATTACKERS) })),
  ...attacks.map(a => ({ label: 'epsilon 4, attacked', scenario: base(a, ATTACKERS), privacy: privacy(4) }))
].filter(r => typeof flags.only !== 'string' || `${r.label} ${r.scenario.attack}`.includes(flags.only))

const idOf = (r: Row): string => {
  if (r.privacy === undefined) return scenarioId(r.scenario)
  const t = r.privacy.training
  const training = t === undefined || (t.batchSize === 32 && t.localSteps === 5 && t.learningRate === 0.2) ? '' : `-b${t.batchSize}-s${t.localSteps}-lr${t.learningRate}`
  return `${scenarioId(r.scenario)}_dp-eps${r.privacy.epsilon}-d${r.privacy.delta}-c${r.privacy.clipNorm}${training}`
}

async function run (r: Row): Promise<ScenarioResult> {
  const file = `${CACHE_DIR}${idOf(r)}.json`
  if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as ScenarioResult
  const tmp = `${file}.tmp`
  const started = Date.now()
  const code = await new Promise<number | null>(resolve => {
    const child = spawn(process.execPath, [SIMULATE, JSON.stringify({ scenario: r.scenario, id: idOf(r), privacy: r.privacy }), tmp], { stdio: ['ignore', 'ignore', 'inherit'] })
    child.on('exit', resolve)
  })
  if (code !== 0) throw new Error(`${idOf(r)} exited ${code}`)
  await rename(tmp, file)
  out(`  ran ${idOf(r)} in ${((Date.now() - started) / 1000).toFixed(0)} s`)
  return JSON.parse(await readFile(file, 'utf8')) as ScenarioResult
}

await mkdir(CACHE_DIR, { recursive: true })
const privateSettings = `${PRIVATE_TRAINING.localSteps} local step${PRIVATE_TRAINING.localSteps === 1 ? '' : 's'} of expected batch ${PRIVATE_TRAINING.batchSize} per round, learning rate ${PRIVATE_TRAINING.learningRate}, clipping norm ${CLIP_NORM}`
out(`privacy benchmark: ${rows.length} runs, 16 nodes, data ${benchmarkData().name}, ${rounds} rounds, rule ${RULE}, delta ${DELTA}; private swarms: ${privateSettings}`)
const dpStep = spawnSync(process.execPath, [DP_STEP, '--json'], { encoding: 'utf8' })
if (dpStep.status !== 0) throw new Error(`bench-dp-step.ts exited ${dpStep.status}: ${dpStep.stderr}`)
const { dpStepRatio } = JSON.parse(dpStep.stdout) as { dpStepRatio: number }
out(`DP-SGD step over a plain step (wasm): ${dpStepRatio.toFixed(2)} (target at most 2)`)

const results: { label: string, attack: string, attackers: number, epsilon: number | null, worstAccuracy: number, meanAccuracy: number, noiseMultiplier: number | null, epsilonSpentMax: number | null, wallSeconds: number }[] = []
for (const r of rows) {
  const result = await run(r)
  const p = result.privacy
  results.push({
    label: r.label, attack: r.scenario.attack, attackers: r.scenario.byzantine, epsilon: r.privacy?.epsilon ?? null,
    worstAccuracy: result.worstAccuracy, meanAccuracy: result.meanAccuracy,
    noiseMultiplier: p === undefined ? null : Math.max(...p.noiseMultipliers),
    epsilonSpentMax: p === undefined ? null : Math.max(...p.epsilonSpent),
    wallSeconds: result.wallSeconds
  })
}
const baseline = results.find(r => r.label === 'non-private')?.worstAccuracy
const pct = (x: number): string => (100 * x).toFixed(2)
const command = `npm run bench:privacy${quick ? ' -- --quick' : ''}`
const table = [
  '| run | attack | epsilon (budget) | sigma | epsilon spent (max over nodes) | worst honest % | mean honest % | worst vs non-private unattacked, points |',
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ...results.map(r => {
    const gap = baseline === undefined ? '' : (100 * (r.worstAccuracy - baseline)).toFixed(2)
    return `| ${r.label} | ${r.attack === 'none' ? 'none' : `${r.attack}, ${r.attackers} of 16`} | ${r.epsilon ?? '-'} | ${r.noiseMultiplier?.toFixed(4) ?? '-'} | ${r.epsilonSpentMax?.toFixed(4) ?? '-'} | ${pct(r.worstAccuracy)} | ${pct(r.meanAccuracy)} | ${gap} |`
  })
]
out('\n' + table.join('\n'))
const json = { command, rounds, rule: RULE, delta: DELTA, clipNorm: CLIP_NORM, privateTraining: PRIVATE_TRAINING, dpStepRatio, rows: results }
const prefix = `${BENCH_DIR}privacy${quick ? '-quick' : ''}`
await writeFile(`${prefix}.md`, [
  `# Privacy benchmark (\`${command}\`)`, '',
  `16 nodes, ${benchmarkData().name}, dense 784-64-10, ${rounds} rounds, IID shards, rule ${RULE}. The non-private swarms train 5 local steps of batch 32 per round at learning rate 0.2 (the robustness benchmark's settings). The private swarms' manifest trains ${privateSettings}: DP-SGD on every honest node, delta ${DELTA}, and the smallest sigma that keeps the ${rounds} rounds within the budget at the node's sampling rate. Attackers (3 of 16) train without DP, at their swarm's settings. Accuracy on the whole test set, seed 1.`, '',
  `DP-SGD step over a plain step on wasm: ${dpStepRatio.toFixed(2)} (\`npm run bench:dp-step\`).`, '',
  ...table, ''
].join('\n'))
await writeFile(`${prefix}.json`, JSON.stringify(json, null, 2) + '\n')
if (flags.json === true) console.log(JSON.stringify(json))
process.exit(0)
