import type { RoundSummary } from '../round/index.ts'
import { MAX_ROUND_HISTORY } from '../api-endpoint/index.ts'

/** What a node says about itself (`/api/v1/node`). No key is ever part of it. */
export interface NodeInfo {
  readonly peerId: string
  readonly networkId: string
  readonly version: string
  readonly backend: string
  readonly rule: string
  readonly parameters: number
  readonly addresses: readonly string[]
}

/** What the node is doing now. */
export type NodePhase = 'starting' | 'training' | 'waiting' | 'evaluating' | 'stopping'

/** One finished round as the API reports it (the model itself is left out). */
export interface RoundRecord {
  readonly round: number
  readonly peers: number
  readonly used: number
  readonly refused: number
  readonly keptOwn: boolean
  readonly loss: number
  readonly accuracy: number
  readonly durationMs: number
  /** Local training, ms. */
  readonly trainingMs: number
  /** The aggregation rule, ms (0 when the node kept its own model). */
  readonly aggregationMs: number
  /** The held-out evaluation of the aggregate, ms. */
  readonly evaluationMs: number
  /** Waiting for peer models (the rest of the round), ms. */
  readonly waitMs: number
  readonly bytesFetched: number
  /** When the round closed, ms since the epoch. */
  readonly finishedAt: number
}

/** The parts of a round loop summary the API reports. */
export type RoundFacts = Pick<RoundSummary, 'round' | 'peers' | 'used' | 'refused' | 'keptOwn' | 'loss' | 'accuracy' | 'durationMs' | 'aggregationMs' | 'bytesFetched'>

/** A change in the node's peer set, streamed by `/api/v1/events`. */
export interface PeerEvent {
  readonly peerId: string
  readonly kind: 'connected' | 'disconnected'
  readonly at: number
}

/** What `/api/v1/events` streams. */
export type NodeEvent =
  | { readonly type: 'round', readonly data: RoundRecord }
  | { readonly type: 'peer', readonly data: PeerEvent }

/** `/readyz`: ready, or the reasons why not. */
export interface Readiness {
  readonly ready: boolean
  readonly reasons: readonly string[]
}

/** Event listeners at once (SSE clients); more are refused. */
export const MAX_EVENT_LISTENERS = 64

/**
 * The daemon's state as the API reads it. The daemon writes it after each round and from
 * network events; readers only copy from it, so a request never waits on the round loop.
 */
export class NodeState {
  #info: NodeInfo | undefined
  #phase: NodePhase = 'starting'
  #listening = false
  #peerCount: () => number = () => 0
  readonly #rounds: RoundRecord[] = []
  readonly #listeners = new Set<(event: NodeEvent) => void>()
  readonly startedAt = Date.now()

  get info (): NodeInfo | undefined { return this.#info }
  get phase (): NodePhase { return this.#phase }
  get latest (): RoundRecord | undefined { return this.#rounds.at(-1) }

  /** Set once libp2p listens: the node's identity and addresses. */
  setInfo (info: NodeInfo): void {
    this.#info = Object.freeze({ ...info, addresses: Object.freeze([...info.addresses]) })
  }

  setPhase (phase: NodePhase): void { this.#phase = phase }

  /** The API listens (set by the server). */
  setListening (listening: boolean): void { this.#listening = listening }

  /** How the number of connected peers is read (libp2p in the daemon). */
  setPeerCount (count: () => number): void { this.#peerCount = count }

  peerCount (): number { return this.#peerCount() }

  /** Record a finished round with the time it spent training and evaluating (ms), and stream it. */
  recordRound (summary: RoundFacts, timing: { readonly trainingMs: number, readonly evaluationMs: number }, finishedAt = Date.now()): RoundRecord {
    const { trainingMs, evaluationMs } = timing
    const record: RoundRecord = Object.freeze({
      round: summary.round,
      peers: summary.peers,
      used: summary.used,
      refused: summary.refused,
      keptOwn: summary.keptOwn,
      loss: summary.loss,
      accuracy: summary.accuracy,
      durationMs: summary.durationMs,
      trainingMs,
      aggregationMs: summary.aggregationMs,
      evaluationMs,
      waitMs: Math.max(0, summary.durationMs - trainingMs - summary.aggregationMs - evaluationMs),
      bytesFetched: summary.bytesFetched,
      finishedAt
    })
    this.#rounds.push(record)
    if (this.#rounds.length > MAX_ROUND_HISTORY) this.#rounds.splice(0, this.#rounds.length - MAX_ROUND_HISTORY)
    this.#emit({ type: 'round', data: record })
    return record
  }

  /** Stream a peer connecting or leaving. */
  recordPeerEvent (peerId: string, kind: PeerEvent['kind'], at = Date.now()): void {
    this.#emit({ type: 'peer', data: Object.freeze({ peerId, kind, at }) })
  }

  /** Round records with `round >= since`, oldest first, at most `limit`. */
  roundsSince (since: number, limit: number): readonly RoundRecord[] {
    const first = this.#rounds.findIndex(r => r.round >= since)
    return first === -1 ? [] : this.#rounds.slice(first, first + limit)
  }

  /** Ready: the API listens, at least one peer is connected, and a round has closed. */
  readiness (): Readiness {
    const reasons: string[] = []
    if (!this.#listening) reasons.push('the API is not listening yet')
    if (this.#info === undefined) reasons.push('libp2p is not listening yet')
    if (this.peerCount() < 1) reasons.push('no peer connected')
    if (this.latest === undefined) reasons.push('no round finished yet')
    return { ready: reasons.length === 0, reasons }
  }

  /**
   * Listen to rounds and peer events; returns the function that stops listening, or undefined
   * when MAX_EVENT_LISTENERS already listen.
   */
  subscribe (listener: (event: NodeEvent) => void): (() => void) | undefined {
    if (this.#listeners.size >= MAX_EVENT_LISTENERS) return undefined
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  #emit (event: NodeEvent): void {
    for (const listener of this.#listeners) listener(event)
  }
}
