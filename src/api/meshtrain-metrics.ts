import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import type { FetchObservation } from './observed-round-network.ts'
import type { RoundRecord } from './node-state.ts'

/** Counters the network keeps itself, read when Prometheus scrapes. */
export interface NetworkCounters {
  /** Gossip announcements on the update topic, by outcome (`accept` or a validation code). */
  readonly announcements: Readonly<Record<string, number | undefined>>
  /** Inbound model requests, by outcome. */
  readonly modelRequests: Readonly<Record<string, number | undefined>>
  readonly peersConnected: number
  readonly peersGraylisted: number
}

/** Bucket bounds of the round and phase durations, seconds (rounds take from 0.1 s to the 15 s deadline and beyond). */
const ROUND_SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60]
/** Bucket bounds of model fetch and aggregation durations, seconds. */
const FAST_SECONDS_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** Every meshtrain metric name with its help, as the README documents them. */
export const METRIC_HELP = {
  meshtrain_round: 'the last round this node finished',
  meshtrain_round_duration_seconds: 'wall time of a round, from the start of training to the aggregate (histogram)',
  meshtrain_round_phase_duration_seconds: 'time a round spent per phase: train, wait (for peer models), aggregate, evaluate (histogram)',
  meshtrain_training_loss: 'training loss of the last round',
  meshtrain_holdout_accuracy_ratio: 'accuracy of the last aggregate on the node\'s held-out examples, 0 to 1',
  meshtrain_models_received_total: 'announcements received on the update topic, by result (accept or a validation code)',
  meshtrain_model_requests_total: 'model requests served to peers, by result',
  meshtrain_aggregation_inputs: 'peer models of the last round, by result: used (in the aggregate) or refused',
  meshtrain_aggregation_inputs_total: 'peer models over all rounds, by result: used or refused',
  meshtrain_aggregation_duration_seconds: 'time spent in the aggregation rule per round (histogram)',
  meshtrain_rounds_kept_own_total: 'rounds with too few inputs for the rule, where the node kept its own model',
  meshtrain_payload_fetched_bytes_total: 'model payload bytes fetched from peers',
  meshtrain_payload_fetch_duration_seconds: 'time to fetch one model payload, by result (ok or a transfer error code) (histogram)',
  meshtrain_peers_connected: 'peers with an open connection',
  meshtrain_peers_graylisted: 'peers below the gossipsub graylist threshold (ignored, disconnected and banned)'
} as const

/**
 * The node's Prometheus metrics (prom-client), in Prometheus conventions: prefix `meshtrain_`,
 * base units (seconds, bytes, ratios), `_total` counters. The registry also carries libp2p's
 * own metrics and the process metrics when the daemon hands it to `@libp2p/prometheus-metrics`.
 */
export class MeshtrainMetrics {
  readonly registry: Registry
  readonly #round: Gauge
  readonly #roundSeconds: Histogram
  readonly #phaseSeconds: Histogram<'phase'>
  readonly #loss: Gauge
  readonly #accuracy: Gauge
  readonly #inputs: Gauge<'result'>
  readonly #inputsTotal: Counter<'result'>
  readonly #aggregationSeconds: Histogram
  readonly #keptOwn: Counter
  readonly #fetchedBytes: Counter
  readonly #fetchSeconds: Histogram<'result'>

  constructor (network: () => NetworkCounters, registry = new Registry()) {
    this.registry = registry
    const registers = [registry]
    const h = METRIC_HELP
    this.#round = new Gauge({ name: 'meshtrain_round', help: h.meshtrain_round, registers })
    this.#roundSeconds = new Histogram({ name: 'meshtrain_round_duration_seconds', help: h.meshtrain_round_duration_seconds, buckets: ROUND_SECONDS_BUCKETS, registers })
    this.#phaseSeconds = new Histogram({ name: 'meshtrain_round_phase_duration_seconds', help: h.meshtrain_round_phase_duration_seconds, labelNames: ['phase'], buckets: ROUND_SECONDS_BUCKETS, registers })
    this.#loss = new Gauge({ name: 'meshtrain_training_loss', help: h.meshtrain_training_loss, registers })
    this.#accuracy = new Gauge({ name: 'meshtrain_holdout_accuracy_ratio', help: h.meshtrain_holdout_accuracy_ratio, registers })
    this.#inputs = new Gauge({ name: 'meshtrain_aggregation_inputs', help: h.meshtrain_aggregation_inputs, labelNames: ['result'], registers })
    this.#inputsTotal = new Counter({ name: 'meshtrain_aggregation_inputs_total', help: h.meshtrain_aggregation_inputs_total, labelNames: ['result'], registers })
    this.#aggregationSeconds = new Histogram({ name: 'meshtrain_aggregation_duration_seconds', help: h.meshtrain_aggregation_duration_seconds, buckets: FAST_SECONDS_BUCKETS, registers })
    this.#keptOwn = new Counter({ name: 'meshtrain_rounds_kept_own_total', help: h.meshtrain_rounds_kept_own_total, registers })
    this.#fetchedBytes = new Counter({ name: 'meshtrain_payload_fetched_bytes_total', help: h.meshtrain_payload_fetched_bytes_total, registers })
    this.#fetchSeconds = new Histogram({ name: 'meshtrain_payload_fetch_duration_seconds', help: h.meshtrain_payload_fetch_duration_seconds, labelNames: ['result'], buckets: FAST_SECONDS_BUCKETS, registers })
    // Counters the network keeps are copied in when Prometheus scrapes, never on the round loop's path.
    const copied = (name: 'meshtrain_models_received_total' | 'meshtrain_model_requests_total', pick: (c: NetworkCounters) => NetworkCounters['announcements']): void => {
      new Counter({
        name,
        help: h[name],
        labelNames: ['result'],
        registers,
        collect () {
          this.reset()
          for (const [result, n] of Object.entries(pick(network()))) if (n !== undefined) this.inc({ result }, n)
        }
      })
    }
    copied('meshtrain_models_received_total', c => c.announcements)
    copied('meshtrain_model_requests_total', c => c.modelRequests)
    new Gauge({ name: 'meshtrain_peers_connected', help: h.meshtrain_peers_connected, registers, collect () { this.set(network().peersConnected) } })
    new Gauge({ name: 'meshtrain_peers_graylisted', help: h.meshtrain_peers_graylisted, registers, collect () { this.set(network().peersGraylisted) } })
  }

  /** Note a finished round. */
  observeRound (record: RoundRecord): void {
    this.#round.set(record.round)
    this.#roundSeconds.observe(record.durationMs / 1000)
    for (const [phase, ms] of [['train', record.trainingMs], ['wait', record.waitMs], ['aggregate', record.aggregationMs], ['evaluate', record.evaluationMs]] as const) {
      this.#phaseSeconds.observe({ phase }, ms / 1000)
    }
    if (Number.isFinite(record.loss)) this.#loss.set(record.loss)
    this.#accuracy.set(record.accuracy)
    this.#inputs.set({ result: 'used' }, record.used)
    this.#inputs.set({ result: 'refused' }, record.refused)
    this.#inputsTotal.inc({ result: 'used' }, record.used)
    this.#inputsTotal.inc({ result: 'refused' }, record.refused)
    if (record.keptOwn) this.#keptOwn.inc()
    else this.#aggregationSeconds.observe(record.aggregationMs / 1000)
  }

  /** Note one model fetch. */
  observeFetch (fetch: FetchObservation): void {
    this.#fetchedBytes.inc(fetch.bytes)
    this.#fetchSeconds.observe({ result: fetch.result }, fetch.seconds)
  }

  /** The Prometheus text exposition of every registered metric. */
  async text (): Promise<string> {
    return await this.registry.metrics()
  }

  get contentType (): string { return this.registry.contentType }
}

/**
 * libp2p's own metrics (`@libp2p/prometheus-metrics`: connections, streams, transfer bytes per
 * protocol, gossipsub's metrics) and the process metrics (`process_*`, `nodejs_*`), on `registry`
 * beside the meshtrain ones. Pass the result as libp2p's `metrics`.
 */
export function libp2pMetrics (registry: Registry): ReturnType<typeof prometheusMetrics> {
  // preserveExistingMetrics: the default clears prom-client's registries, meshtrain's included.
  return prometheusMetrics({ registry, preserveExistingMetrics: true, collectDefaultMetrics: true })
}
