import { ValidationError } from './validation-error.ts'
import { LEDGER_HEAD_PATTERN, MAX_LEDGER_HEAD_LENGTH } from './announcement.ts'

/**
 * The ledger stream protocol (docs/wire.md, section 10.6): one request, one answer, each a
 * length-prefixed JSON frame. A node asks a peer for its signed checkpoint, a consistency proof
 * between two sizes of its log, an inclusion proof of one entry, or a range of its entries. Every
 * answer is bounded: proofs by the depth of a tree of 2^53 leaves, entries by count and bytes.
 */

/** Stream protocol of the ledger exchange. */
export function ledgerProtocol (networkId: string): string {
  return `/meshtrain/${networkId}/ledger/1.0.0`
}

/** Largest request frame, bytes. */
export const MAX_LEDGER_REQUEST_BYTES = 128

/** Most hashes in a proof: an inclusion or consistency proof in a log of up to 2^53 entries has at most 54. */
export const MAX_LEDGER_PROOF_HASHES = 64

/** Most entries in one answer; an auditor further behind asks again. */
export const MAX_LEDGER_ENTRIES_PER_ANSWER = 64

/** Most entry bytes (before base64) in one answer; a server stops adding entries before this. */
export const MAX_LEDGER_ANSWER_ENTRY_BYTES = 4 * 1024 * 1024

/** Largest answer frame, bytes: the entries at their limit in base64, plus room for the JSON around them. */
export const MAX_LEDGER_RESPONSE_BYTES = Math.ceil(MAX_LEDGER_ANSWER_ENTRY_BYTES * 4 / 3) + 64 * 1024

/** What a node can ask of a peer's ledger. Sizes and indexes count entries from 0. */
export type LedgerRequest =
  | { readonly get: 'checkpoint' }
  | { readonly get: 'consistency', readonly from: number, readonly to: number }
  | { readonly get: 'inclusion', readonly index: number, readonly size: number }
  | { readonly get: 'entries', readonly from: number, readonly count: number }

/**
 * The answer: the checkpoint (text form, '' before the first commit), a proof (hex hashes), the
 * entries (each one's bytes in base64), or why the request cannot be answered (`out-of-range`: a
 * size beyond the committed log, or an empty range).
 */
export type LedgerResponse =
  | { readonly checkpoint: string }
  | { readonly proof: readonly string[] }
  | { readonly entries: readonly string[] }
  | { readonly error: 'out-of-range' }

const REQUEST_FIELDS = { checkpoint: [], consistency: ['from', 'to'], inclusion: ['index', 'size'], entries: ['from', 'count'] } as const

export function encodeLedgerRequest (request: LedgerRequest): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(request))
}

/**
 * Decode a request strictly: known `get`, exactly its fields, each a non-negative safe integer.
 * @throws ValidationError `too-large` or `malformed`.
 */
export function decodeLedgerRequest (bytes: Uint8Array): LedgerRequest {
  if (bytes.byteLength > MAX_LEDGER_REQUEST_BYTES) throw new ValidationError('too-large', `ledger request of ${bytes.byteLength} bytes`)
  const o = parseJson(bytes, 'ledger request') as Record<string, unknown> | null
  if (o === null || typeof o !== 'object' || Array.isArray(o) || typeof o.get !== 'string' || !Object.hasOwn(REQUEST_FIELDS, o.get)) {
    throw new ValidationError('malformed', `ledger request: expected {"get": one of ${Object.keys(REQUEST_FIELDS).join(', ')}}`)
  }
  const fields: readonly string[] = REQUEST_FIELDS[o.get as keyof typeof REQUEST_FIELDS]
  const keys = Object.keys(o).filter(k => k !== 'get').sort()
  if (keys.join() !== [...fields].sort().join() || !fields.every(f => Number.isSafeInteger(o[f]) && (o[f] as number) >= 0)) {
    throw new ValidationError('malformed', `ledger request "${o.get}": expected exactly ${fields.length === 0 ? 'no other field' : fields.join(' and ') + ', whole numbers >= 0'}`)
  }
  return o as unknown as LedgerRequest
}

export function encodeLedgerResponse (response: LedgerResponse): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(response))
}

const HEX64 = /^[0-9a-f]{64}$/
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/**
 * Decode an answer to `request` strictly: the one shape that request allows (or `error`), hashes
 * as 64 lower-case hex digits, entries as base64, within the counts above.
 * @throws ValidationError `too-large` or `malformed`.
 */
export function decodeLedgerResponse (bytes: Uint8Array, request: LedgerRequest): LedgerResponse {
  if (bytes.byteLength > MAX_LEDGER_RESPONSE_BYTES) throw new ValidationError('too-large', `ledger answer of ${bytes.byteLength} bytes`)
  const o = parseJson(bytes, 'ledger answer') as Record<string, unknown> | null
  const keys = o !== null && typeof o === 'object' && !Array.isArray(o) ? Object.keys(o) : []
  const malformed = (what: string): ValidationError => new ValidationError('malformed', `ledger answer to "${request.get}": ${what}`)
  if (keys.length !== 1 || o === null) throw malformed('expected an object with one field')
  if (keys[0] === 'error') {
    if (o.error !== 'out-of-range') throw malformed(`unknown error ${JSON.stringify(o.error)}`)
    return { error: 'out-of-range' }
  }
  switch (request.get) {
    case 'checkpoint':
      if (typeof o.checkpoint !== 'string' || (o.checkpoint !== '' && (o.checkpoint.length > MAX_LEDGER_HEAD_LENGTH || !LEDGER_HEAD_PATTERN.test(o.checkpoint)))) throw malformed('expected {"checkpoint": text}')
      return { checkpoint: o.checkpoint }
    case 'consistency':
    case 'inclusion':
      if (!Array.isArray(o.proof) || o.proof.length > MAX_LEDGER_PROOF_HASHES || !o.proof.every(h => typeof h === 'string' && HEX64.test(h))) {
        throw malformed(`expected {"proof": at most ${MAX_LEDGER_PROOF_HASHES} hex hashes}`)
      }
      return { proof: o.proof as string[] }
    case 'entries':
      if (!Array.isArray(o.entries) || o.entries.length > Math.min(request.count, MAX_LEDGER_ENTRIES_PER_ANSWER) ||
        !o.entries.every(e => typeof e === 'string' && e.length > 0 && BASE64.test(e))) {
        throw malformed(`expected {"entries": at most ${Math.min(request.count, MAX_LEDGER_ENTRIES_PER_ANSWER)} base64 strings}`)
      }
      return { entries: o.entries as string[] }
  }
}

function parseJson (bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    throw new ValidationError('malformed', `${what}: not UTF-8 JSON`)
  }
}
