/**
 * A strict parser of the Prometheus text exposition format, version 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format), for tests:
 * it throws on the first line a Prometheus server would refuse or misread.
 */

export interface MetricFamily {
  readonly name: string
  help?: string
  type?: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'
  readonly samples: Array<{ readonly name: string, readonly labels: Readonly<Record<string, string>>, readonly value: number }>
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const TYPES = ['counter', 'gauge', 'histogram', 'summary', 'untyped'] as const

/** Metric families by name. @throws Error naming the line and what is wrong. */
export function parsePrometheusText (text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>()
  const seriesSeen = new Set<string>()
  if (text !== '' && !text.endsWith('\n')) throw new Error('the exposition must end with a newline')
  const lines = text.split('\n').slice(0, -1)
  const family = (name: string): MetricFamily => {
    let f = families.get(name)
    if (f === undefined) { f = { name, samples: [] }; families.set(name, f) }
    return f
  }
  for (const [i, line] of lines.entries()) {
    const where = `line ${i + 1} ${JSON.stringify(line.slice(0, 120))}`
    if (line === '') continue
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line)
      if (m === null) continue // a plain comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string]
      if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name`)
      const f = family(name)
      if (kind === 'HELP') {
        if (f.help !== undefined) throw new Error(`${where}: second HELP for ${name}`)
        f.help = rest
      } else {
        if (f.type !== undefined) throw new Error(`${where}: second TYPE for ${name}`)
        if (f.samples.length > 0) throw new Error(`${where}: TYPE after samples of ${name}`)
        if (!(TYPES as readonly string[]).includes(rest)) throw new Error(`${where}: unknown type ${rest}`)
        f.type = rest as NonNullable<MetricFamily['type']>
      }
      continue
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? ([^ ]+)( -?\d+)?$/.exec(line)
    if (m === null) throw new Error(`${where}: not a sample line`)
    const [, sampleName, , labelText, valueText] = m as unknown as [string, string, string | undefined, string | undefined, string]
    const labels = parseLabels(labelText ?? '', where)
    const value = parseValue(valueText, where)
    const owner = [sampleName, sampleName.replace(/_(bucket|sum|count)$/, '')].find(n => families.get(n)?.type !== undefined)
    if (owner === undefined) throw new Error(`${where}: sample of ${sampleName} without a TYPE line before it`)
    const f = families.get(owner) as MetricFamily
    if (owner !== sampleName && f.type !== 'histogram' && f.type !== 'summary') throw new Error(`${where}: ${sampleName} belongs to no histogram or summary`)
    if (f.type === 'histogram' && sampleName.endsWith('_bucket') && labels.le === undefined) throw new Error(`${where}: bucket without le`)
    const series = `${sampleName}${JSON.stringify(Object.entries(labels).sort())}`
    if (seriesSeen.has(series)) throw new Error(`${where}: duplicate series`)
    seriesSeen.add(series)
    if (f.type === 'counter' && value < 0) throw new Error(`${where}: negative counter`)
    f.samples.push({ name: sampleName, labels, value })
  }
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f)
  return families
}

function parseLabels (text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {}
  let rest = text
  while (rest !== '') {
    const m = /^([^=]+)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/.exec(rest)
    if (m === null) throw new Error(`${where}: bad labels at ${JSON.stringify(rest.slice(0, 40))}`)
    const [all, name, raw] = m as unknown as [string, string, string]
    if (!LABEL_NAME.test(name)) throw new Error(`${where}: bad label name ${name}`)
    if (Object.hasOwn(labels, name)) throw new Error(`${where}: label ${name} twice`)
    labels[name] = raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
    rest = rest.slice(all.length)
  }
  return labels
}

function parseValue (text: string, where: string): number {
  if (text === '+Inf') return Infinity
  if (text === '-Inf') return -Infinity
  if (text === 'NaN') return NaN
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`${where}: bad value ${text}`)
  return Number(text)
}

/** Buckets per label set: cumulative, ending in +Inf, which equals _count. */
function checkHistogram (f: MetricFamily): void {
  const groups = new Map<string, Array<{ le: number, value: number }>>()
  const counts = new Map<string, number>()
  for (const s of f.samples) {
    const { le, ...rest } = s.labels
    const key = JSON.stringify(Object.entries(rest).sort())
    if (s.name.endsWith('_bucket')) groups.set(key, [...groups.get(key) ?? [], { le: parseValue(le as string, f.name), value: s.value }])
    if (s.name.endsWith('_count')) counts.set(key, s.value)
  }
  for (const [key, buckets] of groups) {
    for (let i = 1; i < buckets.length; i++) {
      const [a, b] = [buckets[i - 1], buckets[i]] as [{ le: number, value: number }, { le: number, value: number }]
      if (!(b.le > a.le) || b.value < a.value) throw new Error(`${f.name}${key}: buckets not increasing and cumulative`)
    }
    const last = buckets.at(-1)
    if (last?.le !== Infinity) throw new Error(`${f.name}${key}: no +Inf bucket`)
    if (counts.get(key) !== last.value) throw new Error(`${f.name}${key}: +Inf bucket ${last.value} != _count ${counts.get(key)}`)
  }
}
