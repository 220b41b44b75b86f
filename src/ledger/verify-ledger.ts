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

/** How much of a log's per-entry signatures {@link verifyRecords} checks. */
export interface VerifyOptions {
  /**
   * Check every entry's own signature even where a verified checkpoint covers the entry.
   * @default false: entries inside a checkpoint whose signature verifies and whose root matches
   * them are authenticated by that one signature (it signs a Merkle root over their bytes, their
   * own signatures included); only the entries after it are checked one by one.
   */
  readonly everySignature?: boolean
}

/**
 * Verify a log's records, reporting the first failure in entry order: each entry decodes
 * strictly, says it is entry `i` (so reordered, dropped and inserted entries show), names the hash
 * of entry `i − 1` as `prev`, and is signed by `publicKey` (the log owner's). Then, given the
 * checkpoint the owner signed, its signature and that its size and root match the log.
 *
 * Entry signatures are Ed25519 verifications, the bulk of the cost: with a checkpoint that holds
 * (signature, size, root), the entries it covers need none of their own (see
 * {@link VerifyOptions.everySignature}). When anything does not hold, every entry's signature is
 * checked, so the failure names the first entry at fault.
 * @param owner the peer id whose log this is (part of what a checkpoint signs).
 */
export async function verifyRecords (
  records: readonly Uint8Array[], owner: string, publicKey: PublicKey, checkpoint?: LedgerCheckpoint, options: VerifyOptions = {}
): Promise<LedgerReport> {
  // Pass 1: decode, position and chain, up to the first entry that breaks them.
  const entries: StoredEntry[] = []
  let structural: LedgerFailure | undefined
  let prev = GENESIS_PREV
  for (let i = 0; i < records.length && structural === undefined; i++) {
    const bytes = records[i] as Uint8Array
    let entry: AnyLedgerEntry
    try {
      entry = decodeEntry(bytes)
    } catch (err) {
      if (!(err instanceof LedgerFormatError)) throw err
      structural = { entry: i, message: `does not decode: ${err.message}` }
      break
    }
    if (entry.seq !== i) structural = { entry: i, message: `says it is entry ${entry.seq} (entries reordered, dropped or inserted)` }
    else if (entry.prev !== prev) structural = { entry: i, message: `does not chain to entry ${i - 1}: prev is ${entry.prev}, entry ${i - 1} hashes to ${prev}` }
    else {
      const hash = entryHash(bytes)
      entries.push({ entry, bytes, hash })
      prev = toHex(hash)
    }
  }
  // Which entries the checkpoint vouches for: none unless everything holds.
  let covered = 0
  let checkpointFault: LedgerFailure | undefined
  if (checkpoint !== undefined && structural === undefined) {
    checkpointFault = await checkpointFailure(entries, owner, publicKey, checkpoint)
    if (checkpointFault === undefined && options.everySignature !== true) covered = checkpoint.size
  }
  // Pass 2: the signatures the checkpoint does not vouch for, in order.
  for (let i = covered; i < entries.length; i++) {
    const stored = entries[i] as StoredEntry
    if (!await verifyEntrySignature(stored.entry, publicKey)) {
      return report(entries.slice(0, i), { entry: i, message: `signature does not verify with the key of ${owner}` })
    }
  }
  if (structural !== undefined) return report(entries, structural)
  return report(entries, checkpointFault)
}

function report (entries: StoredEntry[], failure: LedgerFailure | undefined): LedgerReport {
  const root = toHex(merkleTreeHash(entries.map(e => e.hash)))
  return failure === undefined ? { entries, root } : { entries, root, failure }
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
