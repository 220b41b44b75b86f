/**
 * The daemon: operator settings (one typed table), the data directory, identity, checkpoints and
 * status output; `runDaemon` composes the rooms below into a running node.
 */
export {
  MAX_ROUNDS, MAX_SEED, MAX_SHARDS, SETTINGS, nodeSettingsHelp, nodeSettingsMarkdown, parseListenAddress, parsePeerAddress, parsePeerId,
  parseShard, resolveConfig
} from './config.ts'
export type { NodeConfig, SettingName, Shard } from './config.ts'
export { boolean, envName, flagName, integerIn, listOf, oneOf, resolveSettings, settingsHelp, settingsMarkdown } from './settings-table.ts'
export type { RawKind, RawValue, Setting, SettingLayers, SettingsOf, SettingsTable, Source } from './settings-table.ts'
export { runDaemon } from './run-daemon.ts'
export { DAEMON_ENVIRONMENT, DAEMON_NODE_OPTIONS } from './daemon-process.ts'
export { dataDirPaths, initDataDir, readConfigFile, readManifestFile } from './data-dir.ts'
export { IDENTITY_FILE, createIdentity, loadIdentity } from './identity.ts'
export { CheckpointError, CheckpointWriteError, MAX_CHECKPOINT_ROUND, loadCheckpoint, saveCheckpoint, saveCheckpointOrWarn } from './checkpoint.ts'
export { PEER_ALIGNMENT_FILE, loadPeerAlignmentState, savePeerAlignmentState } from './peer-alignment-file.ts'
export type { Checkpoint } from './checkpoint.ts'
export { ANNOUNCED_FILE, AnnouncementJournal } from './announcement-journal.ts'
export type { AnnouncedModel } from './announcement-journal.ts'
export { DataDirLockedError, LOCK_FILE, lockDataDir } from './data-dir-lock.ts'
export type { DataDirLock } from './data-dir-lock.ts'
export { createStatusOutput } from './status-output.ts'
export { aggregatorFor, checkReachable } from './preconditions.ts'
export { MANIFESTS_DIR, adoptVersion, loadManifestChain, readVersionFile, versionName, writeJsonAtomically } from './manifest-chain.ts'
export type { ManifestChain } from './manifest-chain.ts'
export { followChain, governanceOf } from './follow-chain.ts'
export { spreadVersions } from './version-spread.ts'
export type { SpreadVersions } from './version-spread.ts'
export { KNOWN_PEERS_FILE, MAX_KNOWN_ADDRESSES, MAX_KNOWN_PEERS, connectedPeers, loadKnownPeers, saveKnownPeers } from './known-peers.ts'
export type { KnownPeer } from './known-peers.ts'
export type { LiveMembership } from './follow-chain.ts'
export { KEPT_OWN_STREAK_ROUNDS, KeptOwnStreak, stallText } from './kept-own-streak.ts'
export type { StallInfo } from './kept-own-streak.ts'
export type { NetworkStatus, ReadyInfo, StatusEvent, StatusOutput } from './status-output.ts'
export { reproduceTraining, trainerOptionsOf } from './reproduce-training.ts'
export type { ReproducedTraining } from './reproduce-training.ts'
