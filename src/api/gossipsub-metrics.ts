import { Gauge, Histogram } from 'prom-client'
import type { Registry } from 'prom-client'
import type { gossipsub } from '@libp2p/gossipsub'

/** What gossipsub registers its metrics with (its `MetricsRegister`, which the package does not export by name). */
export type GossipsubMetricsRegister = NonNullable<NonNullable<Parameters<typeof gossipsub>[0]>['metricsRegister']>

type Labels = Record<string, string | number>
type Args = [Labels | number | undefined, number?]

/**
 * Gossipsub's metrics (mesh and topic peers, message deliveries, score penalties, ...) on a
 * prom-client registry: its gauge, histogram and avg-min-max shapes mapped onto prom-client's.
 * Gossipsub samples some of them itself when Prometheus scrapes (`addCollect`).
 */
export function gossipsubMetricsRegister (registry: Registry): GossipsubMetricsRegister {
  const registers = [registry]
  const gauge = (config: { name: string, help: string, labelNames?: string[] }): Gauge & { addCollect: (fn: (g: unknown) => void) => void } => {
    const collectors: Array<(g: unknown) => void> = []
    const wrapper = {} as { inc: (...a: Args) => void, set: (...a: Args) => void, addCollect: (fn: (g: unknown) => void) => void }
    const g = new Gauge({
      name: config.name,
      help: config.help,
      labelNames: config.labelNames ?? [],
      registers,
      collect () { for (const fn of collectors) fn(wrapper) }
    })
    wrapper.inc = (a, b) => { if (typeof a === 'object') g.inc(a, b ?? 1); else g.inc(a ?? 1) }
    wrapper.set = (a, b) => { if (typeof a === 'object') g.set(a, b ?? 0); else g.set(a ?? 0) }
    wrapper.addCollect = fn => { collectors.push(fn) }
    return wrapper as unknown as Gauge & { addCollect: (fn: (g: unknown) => void) => void }
  }
  const register = {
    gauge,
    histogram: (config: { name: string, help: string, labelNames?: string[], buckets?: number[] }) => {
      const h = new Histogram({ name: config.name, help: config.help, labelNames: config.labelNames ?? [], registers, ...(config.buckets === undefined ? {} : { buckets: config.buckets }) })
      return {
        startTimer: () => h.startTimer(),
        observe: (a: Labels | number, b?: number) => { if (typeof a === 'object') h.observe(a, b ?? 0); else h.observe(a) },
        reset: () => { h.reset() }
      }
    },
    avgMinMax: (config: { name: string, help: string, labelNames?: string[] }) => {
      // One gauge per statistic, as Lodestar exposes them: NAME_avg, NAME_min, NAME_max.
      const stats = (['avg', 'min', 'max'] as const).map(s => new Gauge({ name: `${config.name}_${s}`, help: `${config.help} (${s})`, labelNames: config.labelNames ?? [], registers }))
      return {
        set: (a: Labels | number[], b?: number[]) => {
          const labels = Array.isArray(a) ? {} : a
          const values = Array.isArray(a) ? a : b ?? []
          if (values.length === 0) return
          const avg = values.reduce((x, y) => x + y, 0) / values.length
          const [gAvg, gMin, gMax] = stats as [Gauge, Gauge, Gauge]
          gAvg.set(labels, avg)
          gMin.set(labels, Math.min(...values))
          gMax.set(labels, Math.max(...values))
        }
      }
    }
  }
  return register as unknown as GossipsubMetricsRegister
}
