/**
 * Everything libp2p: node assembly, gossipsub scoring, peer bans, the connection gater, the
 * network key, bootstrap redial, the model-transfer protocol as a libp2p service, and the
 * RoundNetwork the round loop runs over.
 */
export { bootstrapAddress, createMeshtrainLibp2p, gossipScore } from './libp2p-node.ts'
export type { MeshtrainLibp2p, MeshtrainLibp2pInit, MeshtrainServices } from './libp2p-node.ts'
export {
  APP_SPECIFIC_WEIGHT, BEHAVIOUR_PENALTY_THRESHOLD, DECODE_RPC_LIMITS, INVALID_MESSAGE_DECAY, INVALID_MESSAGE_WEIGHT, INVALID_PAYLOAD_DECAY,
  INVALID_PAYLOAD_WEIGHT, LOOPBACK_ALLOW, LOOPBACK_IPS, MAX_GOSSIP_RPC_BYTES, SCORE_THRESHOLDS, UPDATE_TOPIC_SCORE_PARAMS, gossipScoreParams
} from './gossip-scoring.ts'
export { MAX_PENALISED_PEERS, OFFENCE_WEIGHTS, PENALTY_DECAY, PeerPenalties } from './peer-penalties.ts'
export type { Offence } from './peer-penalties.ts'
export { BAN_MEMORY_MS, GRAYLIST_BAN_MS, MAX_BAN_MS, PeerBans } from './peer-bans.ts'
export { BAN_CHECK_INTERVAL_MS, BanEnforcement } from './ban-enforcement.ts'
export type { BanEnforcementInit } from './ban-enforcement.ts'
export { hostOf, memberAdmission, memberGater } from './connection-gater.ts'
export type { BanList, GaterHook, MemberGaterInit } from './connection-gater.ts'
export { HOST_BACKOFF_BASE_MS, HOST_BACKOFF_MAX_MS, HOST_REFUSAL_HOLD_MS, HOST_STRIKE_MEMORY_MS, HostBackoff, MAX_BACKOFF_HOSTS, MAX_HELD_REFUSALS } from './host-backoff.ts'
export { BulkChannel, PSK_PROOF_BYTES, bulkChannel, bulkProtocol } from './bulk-channel.ts'
export type { BulkAddress, BulkChannelComponents, BulkChannelInit } from './bulk-channel.ts'
export { CERTIFICATE_VALIDITY_MS, LIBP2P_EXTENSION_OID, LIBP2P_SIGNATURE_PREFIX, PeerCertificateError, createPeerCertificate, verifyPeerCertificate } from './peer-certificate.ts'
export type { PeerCertificate } from './peer-certificate.ts'
export { KeyMismatchReporter } from './key-mismatch.ts'
export {
  KEY_FINGERPRINT_HEX_DIGITS, MAX_NETWORK_KEY_FILE_READ_BYTES, NETWORK_KEY_FILE, NETWORK_KEY_FILE_BYTES, NETWORK_KEY_HEX_DIGITS, createNetworkKey, keyFingerprint, loadNetworkKey, parseNetworkKey, readNetworkKeyFile
} from './network-key.ts'
export type { NetworkKey } from './network-key.ts'
export { BootstrapRedial, bootstrapRedial } from './bootstrap-redial.ts'
export type { BootstrapRedialComponents, BootstrapRedialInit } from './bootstrap-redial.ts'
export * from './model-transfer.ts'
export { MAX_LEARNED_PEERS, NetworkSync, networkSync } from './network-sync.ts'
export { DegreeKeeper, EXCESS_CONNECTION_GRACE_MS, SETTLED_CONNECTION_MS, connectedPeerCount, degreeKeeper, dialRoom, excessPeers, peerDegree } from './peer-degree.ts'
export type { DegreeKeeperComponents, PeerDegree } from './peer-degree.ts'
export { LedgerExchange, ledgerExchange, MAX_INBOUND_LEDGER_STREAMS } from './ledger-exchange.ts'
export type { LedgerExchangeComponents, LedgerExchangeInit } from './ledger-exchange.ts'
export type { NetworkSyncComponents, NetworkSyncInit, VersionSource } from './network-sync.ts'
export { FetchSlots, QueueFullError } from './fetch-slots.ts'
export type { FetchSlotsInit } from './fetch-slots.ts'
export { Libp2pRoundNetwork, MAX_VALIDATIONS_PER_PEER, MAX_VALIDATIONS_TOTAL } from './libp2p-round-network.ts'
export type { Libp2pRoundNetworkInit, RefusingPeer, RoundNetworkStats, ValidationOutcome } from './libp2p-round-network.ts'
export { FREE_PORT_RANGE, PORT_LEASE_DIR, PORT_LEASE_MS, freePorts, leasePort } from './free-ports.ts'
