import type { Logger } from '../round/index.ts'
import type { NodeConfig } from './config.ts'
import type { StatusOutput } from './status-output.ts'

/**
 * Runs the daemon (daemon.ts), loading it first. The daemon brings libp2p, the API server, the
 * round loop and the trainer, most of a second of loading: the commands that only read a node's
 * files (init, id, ledger, status and the rest) import this room without paying for them.
 */
export async function runDaemon (config: NodeConfig, output: StatusOutput, operatorLog: Logger, signal: AbortSignal): Promise<void> {
  const { runDaemon: run } = await import('./daemon.ts')
  await run(config, output, operatorLog, signal)
}
