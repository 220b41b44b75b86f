import type { PrivateKey, PublicKey } from '@libp2p/interface'
import { canonicalJson } from '../protocol/index.ts'
import { ENTRY_KINDS, checkField } from './entry-kinds.ts'
import type { EntryBody, EntryKind, FieldType } from './entry-kinds.ts'
import { LedgerFormatError } from './ledger-error.ts'
import { leafHash } from './merkle-hash.ts'

/**
 * One ledger entry: a signed statement of what the node did, chained to the entry before it.
 *
 * Encoding (version 1): the UTF-8 bytes of the entry's canonical JSON (docs/wire.md §2.2), the same
 * codec as the announcement, so that an auditor in any language reproduces the bytes, the export
 * stays readable, and a decoder can insist on the one canonical form of each entry. The entry's
 * hash is its Merkle leaf hash, SHA-256(0x00 || bytes)
 * ([RFC 9162 §2.1.1](https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1)); `prev` is the hash of
 * the entry before (64 zeros for entry 0), so the chain and the tree hash the same bytes.
 */

/** Version of the entry format; a reader refuses versions it does not speak. */
export const LEDGER_ENTRY_VERSION = 1 as const

/** Largest encoded entry, bytes (an aggregate of 1,025 inputs is about 70 KB). */
export const MAX_LEDGER_ENTRY_BYTES = 256 * 1024

/** `prev` of entry 0. */
export const GENESIS_PREV = '0'.repeat(64)

/** What is signed, before the entry's canonical JSON: keeps an entry signature from ever standing for another kind of message. */
export const ENTRY_SIGNING_CONTEXT = 'meshtrain/ledger-entry/1\n'

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
  /** Ed25519 signature by the node's key over {@link ENTRY_SIGNING_CONTEXT} + canonical JSON of the other fields, base64. */
  readonly sig: string
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

const encoder = new TextEncoder()

/** The bytes an entry's signature covers. */
export function entrySigningBytes (entry: Omit<LedgerEntry, 'sig'>): Uint8Array {
  const { v, seq, prev, time, kind, body } = entry
  return encoder.encode(ENTRY_SIGNING_CONTEXT + canonicalJson({ v, seq, prev, time, kind, body }))
}

/** Sign an entry with the node's key. */
export async function signEntry<K extends EntryKind> (fields: Omit<LedgerEntry<K>, 'sig' | 'v'>, privateKey: PrivateKey): Promise<LedgerEntry<K>> {
  const unsigned = { ...fields, v: LEDGER_ENTRY_VERSION }
  const signature = await privateKey.sign(entrySigningBytes(unsigned))
  return { ...unsigned, sig: Buffer.from(signature).toString('base64') }
}

/** Whether the entry's signature is by `publicKey`. */
export async function verifyEntrySignature (entry: LedgerEntry, publicKey: PublicKey): Promise<boolean> {
  try {
    return await publicKey.verify(entrySigningBytes(entry), Buffer.from(entry.sig, 'base64'))
  } catch {
    // Some key types throw on a signature of the wrong length instead of returning false.
    return false
  }
}

/** The bytes of an entry in the log: UTF-8 canonical JSON. */
export function encodeEntry (entry: LedgerEntry): Uint8Array {
  return encoder.encode(canonicalJson(entry))
}

/** The hash an entry is chained and Merkle-tree'd by: SHA-256(0x00 || bytes). */
export function entryHash (bytes: Uint8Array): Uint8Array {
  return leafHash(bytes)
}

const ENTRY_KEYS = ['body', 'kind', 'prev', 'seq', 'sig', 'time', 'v']
const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * Untrusted bytes to an entry: size, UTF-8 JSON, the envelope's fields, the body's exact fields for
 * its kind, then canonical form (re-encoding must give the same bytes, so one entry has one hash).
 * The signature and the chain are {@link verifyLedger}'s checks, not the decoder's.
 * @throws LedgerFormatError naming the first field at fault.
 */
export function decodeEntry (bytes: Uint8Array): AnyLedgerEntry {
  if (bytes.byteLength > MAX_LEDGER_ENTRY_BYTES) throw new LedgerFormatError(`entry of ${bytes.byteLength} bytes, at most ${MAX_LEDGER_ENTRY_BYTES}`)
  let json: unknown
  try {
    json = JSON.parse(decoder.decode(bytes))
  } catch {
    throw new LedgerFormatError('entry is not UTF-8 JSON')
  }
  const o = asObject(json, 'entry')
  if (o.v !== LEDGER_ENTRY_VERSION) throw new LedgerFormatError(`entry version ${JSON.stringify(o.v)}, this reader speaks ${LEDGER_ENTRY_VERSION}`)
  exactKeys(o, ENTRY_KEYS, 'entry')
  field(checkField('count', o.seq), 'seq')
  field(checkField('hex64', o.prev), 'prev')
  field(checkField('count', o.time), 'time')
  field(checkField('base64', o.sig), 'sig')
  if (typeof o.kind !== 'string' || !Object.hasOwn(ENTRY_KINDS, o.kind)) throw new LedgerFormatError(`unknown entry kind ${JSON.stringify(o.kind)}`)
  const spec: Record<string, FieldType> = ENTRY_KINDS[o.kind as EntryKind]
  const body = asObject(o.body, 'body')
  exactKeys(body, Object.keys(spec).sort(), `${o.kind} body`)
  for (const [name, type] of Object.entries(spec)) field(checkField(type, body[name]), `body.${name}`)
  const entry = o as unknown as AnyLedgerEntry
  const canonical = encodeEntry(entry)
  if (canonical.byteLength !== bytes.byteLength || !canonical.every((b, i) => b === bytes[i])) {
    throw new LedgerFormatError('entry is not in canonical JSON form')
  }
  return entry
}

function asObject (value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new LedgerFormatError(`${what} is not a JSON object`)
  return value as Record<string, unknown>
}

function exactKeys (o: Record<string, unknown>, expected: readonly string[], what: string): void {
  const keys = Object.keys(o).sort()
  if (keys.length !== expected.length || keys.some((k, i) => k !== expected[i])) {
    throw new LedgerFormatError(`${what} has fields ${keys.join(',')}, expected ${expected.join(',')}`)
  }
}

function field (ok: boolean, name: string): void {
  if (!ok) throw new LedgerFormatError(`bad ${name}`)
}
