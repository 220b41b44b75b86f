import type { PublicKey } from '@libp2p/interface'
import { merkleTreeHash } from './merkle-tree.ts'
import { equalBytes } from './merkle-hash.ts'
import { GENESIS_PREV, decodeEntry, entryHash } from './ledger-entry.ts'
import { peerReferenceFailure } from './peer-table.ts'
import { privacyRecordFailure } from './privacy-record.ts'
import type { AnyLedgerEntry, LedgerEntry, StoredEntry } from './ledger-entry.ts'
import { verifyCheckpoint } from './ledger-checkpoint.ts'
import type { LedgerCheckpoint } from './ledger-checkpoint.ts'
import { LedgerFormatError } from './ledger-error.ts'

/** The first thing found wrong with a log: the entry number (from 0) when one entry is at fault, and what is wrong. */
export interface LedgerFailure {
  readonly entry?: number
  readonly message: string
}

/** What verifying a log found. */
export interface LedgerReport {
  /**
   * The entries the signed checkpoint authenticates (every entry up to its size) when all holds;
   * on a structural failure, the entries that decoded and chained before it; none when the
   * checkpoint fails (nothing is authenticated then).
   */
  readonly entries: readonly StoredEntry[]
  /** Entries after the checkpoint: whole and chained, but not signed yet (a round in progress or cut short). */
  readonly unsigned: number
  /** Merkle tree hash of those entries, hex. */
  readonly root: string
  readonly failure?: LedgerFailure
}

/** One line for a failure: `entry 5: does not chain to entry 4 ...`. */
export function formatLedgerFailure (failure: LedgerFailure): string {
  return failure.entry === undefined ? failure.message : `entry ${failure.entry}: ${failure.message}`
}

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/**
 * Verify a log's records, reporting the first failure in entry order: each entry decodes
 * strictly, says it is entry `i` (so reordered, dropped and inserted entries show), names the hash
 * of entry `i − 1` as `prev`, names only peers the log listed before it, and, for a `privacy`
 * entry, accounts for its round's training with the epsilon the accountant recomputes
 * (privacyRecordFailure). Then the checkpoint
 * the owner signed: its signature by `publicKey`, its size against the log and its root against
 * the first `size` entries. The checkpoint's one signature authenticates every entry it covers
 * (it signs their Merkle root); entries after it (a round in progress, which a starting node rolls
 * back) are not signed yet and are left out of the report's entries, counted in `unsigned`.
 * @param owner the peer id whose log this is (part of what a checkpoint signs).
 * @param checkpoint the owner's signed checkpoint; without one no entry is authenticated, a failure for a non-empty log.
 */
export async function verifyRecords (
  records: readonly Uint8Array[], owner: string, publicKey: PublicKey, checkpoint?: LedgerCheckpoint
): Promise<LedgerReport> {
  const entries: StoredEntry[] = []
  const peers = new Set<string>()
  let lastPrivacy: LedgerEntry<'privacy'> | undefined
  let prev = GENESIS_PREV
  for (let i = 0; i < records.length; i++) {
    const bytes = records[i] as Uint8Array
    let entry: AnyLedgerEntry
    try {
      entry = decodeEntry(bytes)
    } catch (err) {
      if (!(err instanceof LedgerFormatError)) throw err
      return report(entries, { entry: i, message: `does not decode: ${err.message}` })
    }
    if (entry.seq !== i) return report(entries, { entry: i, message: `says it is entry ${entry.seq} (entries reordered, dropped or inserted)` })
    if (entry.prev !== prev) return report(entries, { entry: i, message: `does not chain to entry ${i - 1}: prev is ${entry.prev}, entry ${i - 1} hashes to ${prev} (entry ${i - 1} or this one was changed)` })
    const reference = peerReferenceFailure(entry, peers)
    if (reference !== undefined) return report(entries, { entry: i, message: reference })
    if (entry.kind === 'peer') peers.add(entry.body.peer)
    if (entry.kind === 'privacy') {
      const failure = privacyRecordFailure(entry, entries.at(-1)?.entry, lastPrivacy)
      if (failure !== undefined) return report(entries, { entry: i, message: failure })
      lastPrivacy = entry
    }
    const hash = entryHash(bytes)
    entries.push({ entry, bytes, hash })
    prev = toHex(hash)
  }
  if (checkpoint === undefined) {
    return entries.length === 0 ? report(entries, undefined) : report([], { message: `no signed checkpoint: none of the ${entries.length} entries is signed by ${owner}` })
  }
  const failure = await checkpointFailure(entries, owner, publicKey, checkpoint)
  if (failure !== undefined) return report([], failure)
  return report(entries.slice(0, checkpoint.size), undefined, entries.length - checkpoint.size)
}

function report (entries: StoredEntry[], failure: LedgerFailure | undefined, unsigned = 0): LedgerReport {
  const root = toHex(merkleTreeHash(entries.map(e => e.hash)))
  return failure === undefined ? { entries, root, unsigned } : { entries, root, unsigned, failure }
}

/**
 * What is wrong with a log's checkpoint, if anything: its signature by the owner, a size beyond
 * the log (entries dropped from the end), or a root other than the Merkle tree hash of the first
 * `size` entries (history rewritten).
 */
export async function checkpointFailure (
  entries: readonly StoredEntry[], owner: string, publicKey: PublicKey, checkpoint: LedgerCheckpoint
): Promise<LedgerFailure | undefined> {
  if (!await verifyCheckpoint(owner, checkpoint, publicKey)) {
    return { message: `checkpoint (size ${checkpoint.size}) signature does not verify with the key of ${owner}: entries 0 to ${checkpoint.size - 1} are not signed by it` }
  }
  if (checkpoint.size > entries.length) {
    return { message: `the log has ${entries.length} entries, its checkpoint signed ${checkpoint.size}: entries ${entries.length} to ${checkpoint.size - 1} are missing` }
  }
  const signedRoot = merkleTreeHash(entries.map(e => e.hash), 0, checkpoint.size)
  if (!equalBytes(signedRoot, Buffer.from(checkpoint.root, 'hex'))) {
    return { message: `checkpoint: the first ${checkpoint.size} entries hash to ${toHex(signedRoot)}, the checkpoint signed ${checkpoint.root}` }
  }
  return undefined
}
