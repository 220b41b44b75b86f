/**
 * The operator's surface: the HTTP API (node:http), the Prometheus metrics (prom-client) and the
 * dashboard page; its address and token are src/api-endpoint/'s. It reads a NodeState the daemon updates after each round and from network
 * events, so it never holds up the round loop.
 */
export {
  ApiServer, EVENT_STREAM_KEEPALIVE_MS, MAX_API_CONNECTIONS, MAX_EVENT_STREAM_BACKLOG_BYTES, MAX_REQUEST_BODY_BYTES, MAX_REQUEST_HEADER_BYTES,
  MAX_ROUNDS_PER_RESPONSE, REQUEST_TIMEOUT_MS
} from './api-server.ts'
export type { ApiServerComponents, ApiServerInit, StaticPage } from './api-server.ts'
export { METRIC_HELP, MeshtrainMetrics, libp2pMetrics } from './meshtrain-metrics.ts'
export type { NetworkCounters } from './meshtrain-metrics.ts'
export { MAX_EVENT_LISTENERS, NodeState } from './node-state.ts'
export type { NodeEvent, NodeInfo, NodePhase, PeerEvent, Readiness, RoundFacts, RoundRecord } from './node-state.ts'
export { MAX_OBSERVED_PEERS, ObservedRoundNetwork } from './observed-round-network.ts'
export type { FetchObservation, PeerObservation, PeerVerdict } from './observed-round-network.ts'
export { libp2pPeerViews } from './peer-views.ts'
export type { PeerView } from './peer-views.ts'
export { gossipsubMetricsRegister } from './gossipsub-metrics.ts'
export type { GossipsubMetricsRegister } from './gossipsub-metrics.ts'
export { dashboardPages, swarmDashboardPages } from './dashboard-pages.ts'
export { SwarmDashboard } from './swarm-dashboard.ts'
export type { SwarmNodeView, SwarmRound } from './swarm-dashboard.ts'
