import { RuntimeFailure } from '../errors/index.ts'
import { formatLedgerFailure, verifyLedgerDirectory } from '../ledger/index.ts'
import type { AnyLedgerEntry } from '../ledger/index.ts'
import { nodeIdentity } from './ledger-options.ts'

/**
 * A node's log entries for the reading commands (lineage, contributions), verified first: a
 * report built on a log that does not verify would mislead.
 * @throws RuntimeFailure naming the first failure.
 */
export async function verifiedEntries (dataDir: string): Promise<AnyLedgerEntry[]> {
  const { key, peerId } = await nodeIdentity(dataDir)
  const report = await verifyLedgerDirectory(dataDir, peerId, key.publicKey)
  if (report.failure !== undefined) throw new RuntimeFailure('ledger-invalid', `ledger of ${dataDir}: ${formatLedgerFailure(report.failure)} (run meshtrain ledger verify)`)
  return report.entries.map(e => e.entry)
}
