/**
 * The daemon: operator settings (one typed table), the data directory, identity, checkpoints and
 * status output; `runDaemon` composes the rooms below into a running node.
 */
export { ConfigError, SETTINGS, envName, flagName, parseShard, resolveConfig, settingsHelp } from './config.ts'
export type { ConfigLayers, NodeConfig, SettingName, Source } from './config.ts'
export { aggregatorFor, runDaemon } from './daemon.ts'
export { dataDirPaths, initDataDir, readConfigFile, readManifestFile } from './data-dir.ts'
export { IDENTITY_FILE, createIdentity, loadIdentity } from './identity.ts'
export { CheckpointError, loadCheckpoint, saveCheckpoint } from './checkpoint.ts'
export type { Checkpoint } from './checkpoint.ts'
export { createStatusOutput } from './status-output.ts'
export type { NetworkStatus, ReadyInfo, StatusEvent, StatusOutput } from './status-output.ts'
