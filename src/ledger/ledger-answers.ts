import { MAX_LEDGER_ANSWER_ENTRY_BYTES, MAX_LEDGER_ENTRIES_PER_ANSWER } from '../protocol/index.ts'
import type { LedgerRequest, LedgerResponse } from '../protocol/index.ts'
import { formatCheckpoint } from './ledger-checkpoint.ts'
import type { LedgerCheckpoint } from './ledger-checkpoint.ts'
import type { StoredEntry } from './ledger-entry.ts'
import { consistencyProof, inclusionProof } from './merkle-tree.ts'

/** What a node's log looks like to a peer: its entries and its last signed checkpoint. */
export interface AnswerableLedger {
  readonly entries: readonly StoredEntry[]
  readonly checkpoint: LedgerCheckpoint | undefined
}

/**
 * The answer to a peer's ledger request (src/protocol/ledger-wire.ts), from the committed part of
 * the log only: entries past the last checkpoint may still be rolled back by a crash, so no
 * proof or entry ever covers them. A size beyond it, or an empty range, is `out-of-range`.
 */
export function answerLedgerRequest (ledger: AnswerableLedger, request: LedgerRequest): LedgerResponse {
  const { checkpoint } = ledger
  const committed = checkpoint?.size ?? 0
  const leaves = (): Uint8Array[] => ledger.entries.slice(0, committed).map(e => e.hash)
  const hex = (proof: Uint8Array[]): string[] => proof.map(h => Buffer.from(h).toString('hex'))
  switch (request.get) {
    case 'checkpoint':
      return { checkpoint: checkpoint === undefined ? '' : formatCheckpoint(checkpoint) }
    case 'consistency':
      if (request.from > request.to || request.to > committed) return { error: 'out-of-range' }
      return { proof: hex(consistencyProof(leaves(), request.from, request.to)) }
    case 'inclusion':
      if (request.index >= request.size || request.size > committed) return { error: 'out-of-range' }
      return { proof: hex(inclusionProof(leaves(), request.index, request.size)) }
    case 'entries': {
      if (request.count === 0 || request.from >= committed) return { error: 'out-of-range' }
      const entries: string[] = []
      let bytes = 0
      for (const { bytes: b } of ledger.entries.slice(request.from, Math.min(committed, request.from + Math.min(request.count, MAX_LEDGER_ENTRIES_PER_ANSWER)))) {
        if (bytes + b.byteLength > MAX_LEDGER_ANSWER_ENTRY_BYTES) break
        bytes += b.byteLength
        entries.push(Buffer.from(b).toString('base64'))
      }
      return { entries }
    }
  }
}
