import { join } from 'node:path'

/** Where a node keeps its log and models under its data directory. */
export interface LedgerPaths {
  /** `<data-dir>/ledger/` */
  readonly dir: string
  /** `<data-dir>/ledger/entries.log`: the records (ledger-file.ts). */
  readonly entries: string
  /** `<data-dir>/ledger/checkpoint`: the last signed checkpoint, text form, replaced atomically at each commit. */
  readonly checkpoint: string
  /** `<data-dir>/models/`: models by SHA-256 (model-store.ts). */
  readonly models: string
}

/** The ledger's paths under `dataDir`. */
export function ledgerPaths (dataDir: string): LedgerPaths {
  const dir = join(dataDir, 'ledger')
  return { dir, entries: join(dir, 'entries.log'), checkpoint: join(dir, 'checkpoint'), models: join(dataDir, 'models') }
}
