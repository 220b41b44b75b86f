import { formatLedgerFailure, verifyLedgerDirectory } from '../ledger/index.ts'
import { nodeIdentity } from './ledger-options.ts'

/** What `meshtrain swarm` prints at its end: `meshtrain ledger verify` of every node, one line each. */
export async function verifySwarmLedgers (nodes: ReadonlyArray<{ readonly index: number, readonly dataDir: string }>): Promise<{ lines: string[], failed: number }> {
  const lines: string[] = []
  let failed = 0
  for (const node of nodes) {
    const { key, peerId } = await nodeIdentity(node.dataDir)
    const report = await verifyLedgerDirectory(node.dataDir, peerId, key.publicKey)
    if (report.failure !== undefined) failed++
    lines.push(`ledger verify node ${node.index}: ${report.failure === undefined ? `ok, ${report.entries.length} entries, root ${report.root.slice(0, 16)}` : `FAILED: ${formatLedgerFailure(report.failure)}`}`)
  }
  return { lines, failed }
}
