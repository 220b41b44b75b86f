/**
 * Aggregation benchmark: milliseconds of every registered rule (and bucketing around the
 * median) for k in {5, 9, 17, 33} inputs of d = 1,000,000 float32, each rule's ratio to our own
 * mean in the same run, the extra memory each call allocates, and numpy's median and mean as
 * the reference when python3 with numpy is present.
 *
 *   npm run bench:aggregation              readable table
 *   npm run bench:aggregation -- --json    the same figures as JSON, one row object per line
 *                                          (JSON Lines; the readable lines go to stderr)
 *
 * f = ⌊(k − 1)/4⌋ for every robust rule (a quarter of the inputs Byzantine: 1, 2, 4, 8), which
 * meets every rule's precondition at these k; the mean runs with f = 0.
 */
import { spawnSync } from 'node:child_process'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { RULE_NAMES, createAggregator, kernelMemoryBytes } from '../src/aggregation/index.ts'
import type { Aggregator } from '../src/aggregation/index.ts'

const KS = [5, 9, 17, 33] as const
const D = 1_000_000
/** Repetitions per rule and k: at most MAX_REPS, fewer once TIME_BUDGET_MS is spent, never fewer than MIN_REPS. */
const MAX_REPS = 15
const MIN_REPS = 3
const TIME_BUDGET_MS = 1200
const NUMPY_REPS = 7
/** The issue's targets at k = 9. */
const TARGET_K = 9
const MEDIAN_VS_NUMPY_SPEEDUP = 5
const MEDIAN_VS_MEAN_RATIO = 3
const TRIMMED_VS_MEAN_RATIO = 3

const json = process.argv.includes('--json')
/** Human-readable lines: stdout normally, stderr with --json so that stdout stays pure JSON. */
const say = (line: string): void => { (json ? process.stderr : process.stdout).write(`${line}\n`) }

// A collectable heap lets the memory column measure only what one call allocates.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

interface Row {
  readonly k: number
  readonly d: number
  readonly rule: string
  readonly f: number
  readonly ms: number
  readonly reps: number
  readonly ratioToMean: number
  /** ArrayBuffer bytes the call allocated beyond its output (measured; transient ones included unless a GC freed them). */
  readonly extraBytes: number
  readonly numpyMedianMs: number | null
  readonly numpyMeanMs: number | null
}

interface NumpyTimes { readonly medianMs: number, readonly meanMs: number }

/** numpy's median(axis=0) and mean(axis=0) per k, or why they are missing. */
function numpyReference (): Map<number, NumpyTimes> | string {
  const script = `
import json, sys, time
try:
    import numpy as np
except ImportError:
    print(json.dumps({"absent": "numpy is not installed"})); sys.exit(0)
rng = np.random.default_rng(1)
out = {}
for k in ${JSON.stringify(KS)}:
    x = rng.standard_normal((k, ${D}), dtype=np.float32)
    times = {}
    for name, fn in (("median", lambda: np.median(x, axis=0)), ("mean", lambda: np.mean(x, axis=0))):
        fn()
        samples = []
        for _ in range(${NUMPY_REPS}):
            t = time.perf_counter(); fn(); samples.append((time.perf_counter() - t) * 1000)
        samples.sort()
        times[name] = samples[len(samples) // 2]
    out[str(k)] = times
print(json.dumps({"numpy": np.__version__, "times": out}))
`
  const reasons: string[] = []
  for (const python of ['python3', 'python']) {
    const run = spawnSync(python, ['-c', script], { encoding: 'utf8', timeout: 180_000 })
    if (run.error !== undefined || run.status !== 0) {
      reasons.push(`${python}: ${run.error?.message ?? run.stderr.trim().split('\n').pop() ?? `exit ${run.status}`}`)
      continue
    }
    const parsed = JSON.parse(run.stdout) as { absent?: string, numpy?: string, times?: Record<string, { median: number, mean: number }> }
    if (parsed.times === undefined) {
      reasons.push(`${python}: ${parsed.absent ?? 'no numpy'}`)
      continue
    }
    say(`numpy ${parsed.numpy ?? '?'} via ${python}`)
    return new Map(Object.entries(parsed.times).map(([k, t]) => [Number(k), { medianMs: t.median, meanMs: t.mean }]))
  }
  return `numpy absent (${reasons.join('; ')}): no reference columns`
}

/** Seeded inputs: honest models around a common centre. */
function makeInputs (k: number): Float32Array[] {
  let state = 0x9E3779B9 ^ k
  const random = (): number => {
    state ^= state << 13; state ^= state >>> 17; state ^= state << 5
    return (state >>> 0) / 4294967296
  }
  const centre = Float32Array.from({ length: D }, () => random() - 0.5)
  return Array.from({ length: k }, () => centre.map(c => c + 0.1 * (random() - 0.5)))
}

function measure (agg: Aggregator, inputs: readonly Float32Array[]): { ms: number, reps: number, extraBytes: number } {
  const own = inputs[0] as Float32Array
  const peers = inputs.slice(1)
  agg.aggregate(own, peers) // warm-up: compiles, sizes the kernels' memory
  gc()
  const before = process.memoryUsage().arrayBuffers
  const probe = agg.aggregate(own, peers)
  const extraBytes = Math.max(0, process.memoryUsage().arrayBuffers - before - probe.byteLength)
  const samples: number[] = []
  const started = performance.now()
  while (samples.length < MAX_REPS && (samples.length < MIN_REPS || performance.now() - started < TIME_BUDGET_MS)) {
    const t0 = performance.now()
    agg.aggregate(own, peers)
    samples.push(performance.now() - t0)
  }
  samples.sort((a, b) => a - b)
  return { ms: samples[samples.length >> 1] as number, reps: samples.length, extraBytes }
}

function variants (f: number): Array<{ label: string, agg: Aggregator }> {
  const list = RULE_NAMES.map(rule => ({ label: rule, agg: createAggregator(rule === 'mean' ? { rule } : { rule, f }) }))
  list.push({ label: 'median+bucketing(2)', agg: createAggregator({ rule: 'median', f, bucketing: 2 }) })
  list.push({ label: 'median+nnm', agg: createAggregator({ rule: 'median', f, nnm: true }) })
  return list
}

const fmt = (x: number, digits = 2): string => x.toFixed(digits)
const mib = (bytes: number): string => `${fmt(bytes / 2 ** 20, 1)} MiB`

say(`aggregation benchmark: d = ${D.toLocaleString('en')} float32, k in {${KS.join(', ')}}, f = ⌊(k−1)/4⌋; node ${process.version}, ${process.arch}`)
say(`median of up to ${MAX_REPS} runs per rule (fewer, at least ${MIN_REPS}, once ${TIME_BUDGET_MS} ms are spent: the O(k²d) and iterative rules at large k)`)
const numpy = numpyReference()
if (typeof numpy === 'string') say(numpy)

const rows: Row[] = []
for (const k of KS) {
  const f = Math.floor((k - 1) / 4)
  const inputs = makeInputs(k)
  const np = typeof numpy === 'string' ? undefined : numpy.get(k)
  let meanMs = NaN
  const results = variants(f).map(({ label, agg }) => {
    const result = measure(agg, inputs)
    if (label === 'mean') meanMs = result.ms
    return { label, agg, ...result }
  })
  say('')
  say(`k = ${k}, f = ${f}` + (np === undefined ? '' : `   numpy median ${fmt(np.medianMs)} ms, numpy mean ${fmt(np.meanMs)} ms`))
  say(`  ${'rule'.padEnd(22)}${'ms'.padStart(10)}${'× mean'.padStart(9)}${'reps'.padStart(6)}${'extra memory'.padStart(15)}` + (np === undefined ? '' : `${'numpy median ÷ ms'.padStart(19)}`))
  for (const r of results) {
    const row: Row = {
      k, d: D, rule: r.label, f: r.agg.f, ms: r.ms, reps: r.reps, ratioToMean: r.ms / meanMs, extraBytes: r.extraBytes,
      numpyMedianMs: np?.medianMs ?? null, numpyMeanMs: np?.meanMs ?? null
    }
    rows.push(row)
    say(`  ${r.label.padEnd(22)}${fmt(r.ms).padStart(10)}${fmt(row.ratioToMean).padStart(9)}${String(r.reps).padStart(6)}${mib(r.extraBytes).padStart(15)}` +
      (np === undefined ? '' : `${fmt(np.medianMs / r.ms, 1).padStart(19)}`))
  }
}

say('')
say(`kernel linear memory (block rows and scratch, shared by all rules): ${mib(kernelMemoryBytes())}; output vector: ${mib(D * 4)}`)
const at = (rule: string): Row | undefined => rows.find(r => r.k === TARGET_K && r.rule === rule)
const median = at('median')
const trimmed = at('trimmed-mean')
if (median !== undefined && trimmed !== undefined) {
  const check = (ok: boolean): string => ok ? 'met' : 'NOT MET'
  say(`targets at k = ${TARGET_K}:`)
  if (median.numpyMedianMs !== null) {
    say(`  median >= ${MEDIAN_VS_NUMPY_SPEEDUP}x faster than numpy's median: ${fmt(median.numpyMedianMs / median.ms, 1)}x, ${check(median.numpyMedianMs / median.ms >= MEDIAN_VS_NUMPY_SPEEDUP)}`)
  } else {
    say('  median vs numpy\'s median: not measured (numpy absent)')
  }
  say(`  median <= ${MEDIAN_VS_MEAN_RATIO}x our mean: ${fmt(median.ratioToMean)}x, ${check(median.ratioToMean <= MEDIAN_VS_MEAN_RATIO)}`)
  say(`  trimmed mean <= ${TRIMMED_VS_MEAN_RATIO}x our mean: ${fmt(trimmed.ratioToMean)}x, ${check(trimmed.ratioToMean <= TRIMMED_VS_MEAN_RATIO)}`)
}
if (json) process.stdout.write(rows.map(row => `${JSON.stringify(row)}\n`).join(''))
