import { readFile } from 'node:fs/promises'
import type { PublicKey } from '@libp2p/interface'
import { parseCheckpoint } from './ledger-checkpoint.ts'
import type { LedgerCheckpoint } from './ledger-checkpoint.ts'
import type { AnyLedgerEntry } from './ledger-entry.ts'
import { LedgerFormatError } from './ledger-error.ts'
import { parseLedgerFile } from './ledger-file.ts'
import { ledgerPaths } from './ledger-paths.ts'
import { ModelStore } from './model-store.ts'
import { verifyRecords } from './verify-ledger.ts'
import type { LedgerReport } from './verify-ledger.ts'

/** The model hashes an entry names. */
export function modelsNamedBy (entry: AnyLedgerEntry): string[] {
  switch (entry.kind) {
    case 'training': return [entry.body.startModel, entry.body.model]
    case 'announcement': case 'evaluation': return [entry.body.model]
    case 'aggregate': {
      const { own, inputs, output } = entry.body
      return [...(own === null ? [] : [own]), ...inputs.flatMap(i => (i.taken === null ? [i.model] : [i.model, i.taken])), ...(output === null ? [] : [output])]
    }
    default: return []
  }
}

/**
 * `meshtrain ledger verify --data-dir D`: the log file (a truncated last record is a failure here;
 * only a starting node cuts it), every entry (verifyRecords), the checkpoint file, and every model
 * held in `<data-dir>/models/` that an entry names, against its hash.
 */
export async function verifyLedgerDirectory (dataDir: string, owner: string, publicKey: PublicKey): Promise<LedgerReport> {
  const paths = ledgerPaths(dataDir)
  const empty = { entries: [], root: '', unsigned: 0 }
  // The checkpoint first: a running node appends before it signs, so a log read after its
  // checkpoint is never shorter than the checkpoint.
  let checkpoint: LedgerCheckpoint | undefined
  try {
    const text = (await readFile(paths.checkpoint, 'utf8')).trim()
    checkpoint = parseCheckpoint(text)
  } catch (err) {
    if (err instanceof LedgerFormatError) return { ...empty, failure: { message: `checkpoint file: ${err.message}` } }
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  let bytes: Buffer
  try {
    bytes = await readFile(paths.entries)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ...empty, failure: { message: `no ledger at ${paths.entries}` } }
    throw err
  }
  let parsed
  try {
    parsed = parseLedgerFile(bytes)
  } catch (err) {
    if (err instanceof LedgerFormatError) return { ...empty, failure: { message: err.message } }
    throw err
  }
  const report = await verifyRecords(parsed.records, owner, publicKey, checkpoint)
  // A record cut short comes after every whole entry and before the checkpoint's verdict.
  if (report.failure?.entry !== undefined) return report
  if (parsed.tornTail !== undefined) {
    const { have, want } = parsed.tornTail
    return { ...report, entries: [], failure: { entry: parsed.records.length, message: `truncated: the file ends ${have} bytes into a record of ${want}` } }
  }
  if (report.failure !== undefined) return report
  const store = new ModelStore(paths.models)
  const held = new Set(await store.list())
  for (const { entry } of report.entries) {
    for (const hash of modelsNamedBy(entry)) {
      if (!held.has(hash)) continue
      held.delete(hash)
      const actual = await store.hashOf(hash)
      if (actual !== hash) {
        return { ...report, failure: { entry: entry.seq, message: `names model ${hash}, but models/${hash} hashes to ${actual}` } }
      }
    }
  }
  return report
}
