import { gossipScore } from '../network/index.ts'
import type { Libp2pRoundNetwork, MeshtrainLibp2p } from '../network/index.ts'
import type { ObservedRoundNetwork, PeerVerdict } from './observed-round-network.ts'

/** One peer as `/api/v1/peers` reports it. */
export interface PeerView {
  readonly peerId: string
  readonly connected: boolean
  /** Remote addresses of its open connections. */
  readonly addresses: readonly string[]
  /** Round-trip time libp2p last measured on a connection to it, ms; null when not measured yet. */
  readonly latencyMs: number | null
  /** Its gossipsub score as this node sees it. */
  readonly score: number
  /** The highest round it announced a model for (accepted), and that model's hash; null when none. */
  readonly lastRound: number | null
  readonly lastModelHash: string | null
  /** Its announcements and models by verdict: `accept`, `misaligned` (left out by the peer-alignment memory) or a validation code. */
  readonly verdicts: Readonly<Partial<Record<PeerVerdict, number>>>
  /** Below gossipsub's graylist threshold: everything it sends is ignored. */
  readonly graylisted: boolean
  /** Refused until then (ISO 8601); null when not banned. */
  readonly bannedUntil: string | null
}

/** The peers a libp2p node is connected to, plus those it graylisted or banned, as PeerViews. */
export function libp2pPeerViews (libp2p: MeshtrainLibp2p, network: Libp2pRoundNetwork, observed: ObservedRoundNetwork): PeerView[] {
  const connected = new Set(libp2p.getPeers().map(p => p.toString()))
  const graylisted = new Set(network.stats().graylisted.map(p => p.peerId))
  const ids = [...new Set([...connected, ...graylisted])].sort()
  return ids.map(peerId => {
    const connections = libp2p.getConnections().filter(c => c.remotePeer.toString() === peerId)
    const rtt = connections.map(c => c.rtt).find(r => r !== undefined)
    const seen = observed.observation(peerId)
    const until = libp2p.services.peerBans.bannedUntil(peerId)
    return {
      peerId,
      connected: connected.has(peerId),
      addresses: connections.map(c => c.remoteAddr.toString()),
      latencyMs: rtt ?? null,
      score: finiteOr0(gossipScore(libp2p, peerId)),
      lastRound: seen === undefined || seen.lastRound < 0 ? null : seen.lastRound,
      lastModelHash: seen === undefined || seen.lastModelHash === '' ? null : seen.lastModelHash,
      verdicts: Object.fromEntries(seen?.verdicts ?? []),
      graylisted: graylisted.has(peerId),
      bannedUntil: until === undefined ? null : new Date(until).toISOString()
    }
  })
}

/** JSON has no infinities; a score is finite in practice, but never emit a bad document. */
function finiteOr0 (x: number): number {
  return Number.isFinite(x) ? x : 0
}
