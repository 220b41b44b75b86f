import { EntryReader, EntryWriter } from './entry-codec.ts'
import { ENTRY_KINDS, readFields, writeFields } from './entry-kinds.ts'
import type { EntryBody, EntryKind } from './entry-kinds.ts'
import { LedgerFormatError } from './ledger-error.ts'
import { leafHash } from './merkle-hash.ts'

/**
 * One ledger entry: a statement of what the node did, chained to the entry before it.
 *
 * Encoding (version 2, docs/wire.md §10.1): compact canonical binary (the version, the kind's name,
 * `seq`, the 32-byte hash of the entry before, the time, then the body's fields in the order of
 * {@link ENTRY_KINDS}), one encoding per entry, so an auditor in any language reproduces the
 * bytes and the decoder insists on them. The entry's hash is its Merkle leaf hash,
 * SHA-256(0x00 || bytes) ([RFC 9162 §2.1.1](https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1));
 * `prev` is the hash of the entry before (32 zero bytes for entry 0), so the chain and the tree
 * hash the same bytes.
 *
 * An entry carries no signature of its own: the checkpoint the node signs at the end of every
 * round (ledger-checkpoint.ts) signs the Merkle root over the entries' bytes, and so every entry
 * it covers, with one Ed25519 signature per round. Version 1 (canonical JSON, one signature per
 * entry) is refused with a message that says so.
 */

/** Version of the entry format; a reader refuses versions it does not speak. */
export const LEDGER_ENTRY_VERSION = 2 as const

/** Largest encoded entry, bytes (an aggregate of 1,024 peer inputs is about 170 KB). */
export const MAX_LEDGER_ENTRY_BYTES = 256 * 1024

/** `prev` of entry 0 (32 zero bytes, hex). */
export const GENESIS_PREV = '0'.repeat(64)

/** A ledger entry of kind `K`. */
export interface LedgerEntry<K extends EntryKind = EntryKind> {
  readonly v: typeof LEDGER_ENTRY_VERSION
  /** Position in the log, from 0: the Merkle leaf index. */
  readonly seq: number
  /** Hash of entry `seq − 1` (hex), {@link GENESIS_PREV} for entry 0. */
  readonly prev: string
  /** When the entry was written, ms since the Unix epoch (informative: order is `seq`). */
  readonly time: number
  readonly kind: K
  readonly body: EntryBody<K>
}

/** Any entry, narrowed by its `kind`. */
export type AnyLedgerEntry = { [K in EntryKind]: LedgerEntry<K> }[EntryKind]

/** An entry with its encoded bytes and hash, as a log holds it. */
export interface StoredEntry {
  readonly entry: AnyLedgerEntry
  readonly bytes: Uint8Array
  /** {@link entryHash} of `bytes`. */
  readonly hash: Uint8Array
}

/** Longest kind name, bytes. */
const MAX_KIND_BYTES = 32

/**
 * The bytes of an entry.
 * @throws RangeError naming a field whose value is outside its type.
 */
export function encodeEntry (entry: Omit<LedgerEntry, 'v'>): Uint8Array {
  const w = new EntryWriter()
  w.uint(LEDGER_ENTRY_VERSION)
  w.string(entry.kind)
  w.uint(entry.seq)
  if (!/^[0-9a-f]{64}$/.test(entry.prev)) throw new RangeError('bad prev')
  w.fixed(Buffer.from(entry.prev, 'hex'))
  w.uint(entry.time)
  writeFields(w, ENTRY_KINDS[entry.kind], entry.body as Record<string, unknown>, 'body')
  const bytes = w.finish()
  if (bytes.byteLength > MAX_LEDGER_ENTRY_BYTES) throw new RangeError(`entry of ${bytes.byteLength} bytes, at most ${MAX_LEDGER_ENTRY_BYTES}`)
  return bytes
}

/** The hash an entry is chained and Merkle-tree'd by: SHA-256(0x00 || bytes). */
export function entryHash (bytes: Uint8Array): Uint8Array {
  return leafHash(bytes)
}

/**
 * Untrusted bytes to an entry: size, version, kind, the envelope, the body's fields for its kind,
 * no byte left over; every value in its one encoding, so one entry has one hash. References to the
 * peer table, the chain and the checkpoint are {@link verifyRecords}'s checks, not the decoder's.
 * @throws LedgerFormatError naming the first field at fault.
 */
export function decodeEntry (bytes: Uint8Array): AnyLedgerEntry {
  if (bytes.byteLength > MAX_LEDGER_ENTRY_BYTES) throw new LedgerFormatError(`entry of ${bytes.byteLength} bytes, at most ${MAX_LEDGER_ENTRY_BYTES}`)
  if (bytes[0] === 0x7b) throw new LedgerFormatError('entry is in format 1 (JSON); this meshtrain reads ledger format 2 only')
  const r = new EntryReader(bytes)
  const v = r.uint('version')
  if (v !== LEDGER_ENTRY_VERSION) throw new LedgerFormatError(`entry version ${v}, this reader speaks ${LEDGER_ENTRY_VERSION}`)
  const kind = r.string(MAX_KIND_BYTES, 'kind')
  if (!Object.hasOwn(ENTRY_KINDS, kind)) throw new LedgerFormatError(`unknown entry kind ${JSON.stringify(kind)}`)
  const seq = r.uint('seq')
  const prev = Buffer.from(r.fixed(32, 'prev')).toString('hex')
  const time = r.uint('time')
  const body = readFields(r, ENTRY_KINDS[kind as EntryKind], 'body')
  r.end()
  return { v, seq, prev, time, kind, body } as unknown as AnyLedgerEntry
}
