import { MerkleFrontier } from './merkle-frontier.ts'
import type { StoredEntry } from './ledger-entry.ts'
import { peerInputsOf } from './peer-table.ts'
import type { LedgerFailure } from './verify-ledger.ts'

/**
 * Cross-reference: the checkpoints of `peer` that this node's log recorded (the size and root of
 * each, in its inputs of `aggregate` entries; the peer's signature was verified when it arrived)
 * against the peer's own log, given as its
 * verified entries (an export). Each recorded checkpoint must be a prefix of that log: its size
 * at most the log's, its root the Merkle tree hash of that many entries
 * ([RFC 9162 §2.1.1](https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1)). Anything else means the
 * peer showed this node one history and the auditor another: a fork. A recorded checkpoint larger
 * than the log is a fork only when this node recorded it before the log's own checkpoint was
 * signed (`logTime`; the entry's time bounds the recorded checkpoint's from above); one recorded
 * later is left unchecked (the export may be older than what was witnessed).
 * @returns the first of this node's entries whose recorded checkpoint the peer's log contradicts, and how many checkpoints were checked and left unchecked.
 */
export function witnessedCheckpointFailure (
  own: readonly StoredEntry[], peer: string, peerLog: readonly StoredEntry[], logTime?: number
): { readonly checked: number, readonly unchecked: number, readonly failure?: LedgerFailure } {
  const times = new Map(own.map(({ entry }) => [entry.seq, entry.time]))
  const recorded = peerInputsOf(own.map(e => e.entry)).flatMap(input => (input.peer === peer && input.checkpoint !== null
    ? [{ seq: input.seq, time: times.get(input.seq) ?? 0, checkpoint: input.checkpoint }]
    : []))
  // The roots of every size asked for, from one pass over the peer's log.
  const sizes = [...new Set(recorded.map(r => r.checkpoint.size))].filter(size => size <= peerLog.length).sort((a, b) => a - b)
  const roots = new Map<number, string>()
  const frontier = new MerkleFrontier()
  for (const size of sizes) {
    while (frontier.size < size) frontier.append((peerLog[frontier.size] as StoredEntry).hash)
    roots.set(size, Buffer.from(frontier.root()).toString('hex'))
  }
  let checked = 0
  let unchecked = 0
  for (const { seq, time, checkpoint } of recorded) {
    if (checkpoint.size > peerLog.length) {
      if (logTime === undefined || time > logTime) { unchecked++; continue }
      return { checked, unchecked, failure: { entry: seq, message: `${peer} signed a log of ${checkpoint.size} entries here, and later a log of ${peerLog.length}: entries were dropped (a fork)` } }
    }
    checked++
    const root = roots.get(checkpoint.size)
    if (root !== checkpoint.root) {
      return { checked, unchecked, failure: { entry: seq, message: `${peer} signed ${checkpoint.size} entries with root ${checkpoint.root} here, its log's first ${checkpoint.size} hash to ${root ?? '?'}: its history was rewritten (a fork)` } }
    }
  }
  return { checked, unchecked }
}
