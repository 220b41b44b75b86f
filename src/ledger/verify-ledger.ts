import type { PublicKey } from '@libp2p/interface'
import { merkleTreeHash } from './merkle-tree.ts'
import { equalBytes } from './merkle-hash.ts'
import { GENESIS_PREV, decodeEntry, entryHash, verifyEntrySignature } from './ledger-entry.ts'
import type { AnyLedgerEntry, StoredEntry } from './ledger-entry.ts'
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
  /** Entries that decoded, chained and verified before the first failure (all of them when `ok`). */
  readonly entries: readonly StoredEntry[]
  /** Merkle tree hash of those entries, hex. */
  readonly root: string
  readonly failure?: LedgerFailure
}

/** One line for a failure: `entry 5: signature does not verify ...`. */
export function formatLedgerFailure (failure: LedgerFailure): string {
  return failure.entry === undefined ? failure.message : `entry ${failure.entry}: ${failure.message}`
}

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/**
 * Verify a log's records in order, stopping at the first failure: each one decodes strictly, says
 * it is entry `i` (so reordered, dropped and inserted entries show), names the hash of entry
 * `i − 1` as `prev`, and is signed by `publicKey` (the log owner's). Then, given the checkpoint the
 * log's owner signed, the checkpoint's signature and that its size and root match the log.
 * @param owner the peer id whose log this is (part of what a checkpoint signs).
 */
export async function verifyRecords (
  records: readonly Uint8Array[], owner: string, publicKey: PublicKey, checkpoint?: LedgerCheckpoint
): Promise<LedgerReport> {
  const entries: StoredEntry[] = []
  const fail = (message: string, entry?: number): LedgerReport => ({
    entries, root: toHex(merkleTreeHash(entries.map(e => e.hash))), failure: entry === undefined ? { message } : { entry, message }
  })
  let prev = GENESIS_PREV
  for (let i = 0; i < records.length; i++) {
    const bytes = records[i] as Uint8Array
    let entry: AnyLedgerEntry
    try {
      entry = decodeEntry(bytes)
    } catch (err) {
      if (err instanceof LedgerFormatError) return fail(`does not decode: ${err.message}`, i)
      throw err
    }
    if (entry.seq !== i) return fail(`says it is entry ${entry.seq} (entries reordered, dropped or inserted)`, i)
    if (entry.prev !== prev) return fail(`does not chain to entry ${i - 1}: prev is ${entry.prev}, entry ${i - 1} hashes to ${prev}`, i)
    if (!await verifyEntrySignature(entry, publicKey)) return fail(`signature does not verify with the key of ${owner}`, i)
    const hash = entryHash(bytes)
    entries.push({ entry, bytes, hash })
    prev = toHex(hash)
  }
  const root = toHex(merkleTreeHash(entries.map(e => e.hash)))
  if (checkpoint !== undefined) {
    const failure = await checkpointFailure(entries, owner, publicKey, checkpoint)
    if (failure !== undefined) return { entries, root, failure }
  }
  return { entries, root }
}

/**
 * What is wrong with a log's checkpoint, if anything: its signature by the owner, a size beyond
 * the log (entries dropped from the end), or a root other than the Merkle tree hash of the first
 * `size` entries (history rewritten).
 */
export async function checkpointFailure (
  entries: readonly StoredEntry[], owner: string, publicKey: PublicKey, checkpoint: LedgerCheckpoint
): Promise<LedgerFailure | undefined> {
  if (!await verifyCheckpoint(owner, checkpoint, publicKey)) return { message: `checkpoint (size ${checkpoint.size}) signature does not verify with the key of ${owner}` }
  if (checkpoint.size > entries.length) {
    return { message: `the log has ${entries.length} entries, its checkpoint signed ${checkpoint.size}: entries ${entries.length} to ${checkpoint.size - 1} are missing` }
  }
  const signedRoot = merkleTreeHash(entries.map(e => e.hash), 0, checkpoint.size)
  if (!equalBytes(signedRoot, Buffer.from(checkpoint.root, 'hex'))) {
    return { message: `checkpoint: the first ${checkpoint.size} entries hash to ${toHex(signedRoot)}, the checkpoint signed ${checkpoint.root}` }
  }
  return undefined
}
