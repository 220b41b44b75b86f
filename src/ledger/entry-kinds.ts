import { LEDGER_HEAD_PATTERN, VALIDATION_CODES } from '../protocol/index.ts'
import type { ValidationCode } from '../protocol/index.ts'

/**
 * The kinds of ledger entry and the exact fields of each one's body: one table, read by the
 * strict decoder and by the types. A body has exactly these keys; a field of kind `round` is the
 * training round the entry belongs to.
 */

/** The value types a body field can have, each checked by {@link checkField}. */
export type FieldType =
  | 'hex64' | 'network-id' | 'count' | 'number' | 'finite-or-null' | 'string' | 'peer-id' | 'base64'
  | 'verdict' | 'boolean' | 'hex64-list' | 'json' | 'checkpoint-or-empty' | 'evidence-reason'

/** Why a peer was caught: two announcements for one round with different models, or two checkpoints of one log that are not consistent. */
export const EVIDENCE_REASONS = ['equivocation', 'forked-log'] as const
export type EvidenceReason = typeof EVIDENCE_REASONS[number]

/** What a node made of a peer's input: accepted, or the validation code it was refused with. */
export type Verdict = 'accept' | ValidationCode

/** Every entry kind and its body's fields. */
export const ENTRY_KINDS = {
  /** The network manifest the node adopted (its canonical SHA-256 and network id). */
  manifest: { manifestHash: 'hex64', networkId: 'network-id' },
  /** The node's training data: a salted commitment to its examples, their count and schema. */
  data: { commitment: 'hex64', examples: 'count', features: 'count', classes: 'count' },
  /** One round's local training: from which model, on which data, with which settings and seed, to which model. */
  training: {
    round: 'count', startModel: 'hex64', data: 'hex64', steps: 'count', batchSize: 'count', learningRate: 'number',
    seed: 'count', loss: 'finite-or-null', backend: 'string', model: 'hex64'
  },
  /** The announcement the node published for a round (its signature, and the size of the log its checkpoint covered). */
  announcement: { round: 'count', model: 'hex64', signature: 'base64', checkpointSize: 'count' },
  /**
   * A peer's announced model and what the node made of it: the announcement's signature, the
   * peer's checkpoint it carried, the verdict, whether it went into the aggregate, and the
   * contribution scores (distance to the aggregate, cosine of its update with the aggregate's).
   */
  'peer-input': {
    round: 'count', peer: 'peer-id', signature: 'base64', model: 'hex64', checkpoint: 'checkpoint-or-empty',
    verdict: 'verdict', used: 'boolean', distance: 'finite-or-null', cosine: 'finite-or-null'
  },
  /**
   * The round's aggregate: the rule and its options, the input hashes in the canonical order the
   * rule took them (the node's own model first, then the used peers' models in peer id order), the
   * output, the time taken.
   */
  aggregate: { round: 'count', rule: 'string', options: 'json', inputs: 'hex64-list', output: 'hex64', ms: 'number' },
  /** The evaluation of a model on the node's held-out examples. */
  evaluation: { round: 'count', model: 'hex64', accuracy: 'finite-or-null', loss: 'finite-or-null', examples: 'count' },
  /** Proof of a peer's misbehaviour: the two conflicting signed statements, as received. */
  evidence: { round: 'count', peer: 'peer-id', reason: 'evidence-reason', first: 'string', second: 'string' }
} as const satisfies Record<string, Record<string, FieldType>>

export type EntryKind = keyof typeof ENTRY_KINDS

/** Every entry kind, in the table's order. */
export const ENTRY_KIND_LIST = Object.keys(ENTRY_KINDS) as readonly EntryKind[]

interface FieldValue {
  'hex64': string
  'network-id': string
  count: number
  number: number
  'finite-or-null': number | null
  string: string
  'peer-id': string
  base64: string
  verdict: Verdict
  boolean: boolean
  'hex64-list': readonly string[]
  json: unknown
  'checkpoint-or-empty': string
  'evidence-reason': EvidenceReason
}

/** The body of an entry of kind `K`, typed from the table. */
export type EntryBody<K extends EntryKind> = { readonly [F in keyof typeof ENTRY_KINDS[K]]: FieldValue[typeof ENTRY_KINDS[K][F] & FieldType] }

/** Longest string field of a body, characters (the evidence fields hold whole announcements). */
export const MAX_ENTRY_STRING_LENGTH = 8192
/** Most input hashes one aggregate entry lists (the inbox's announcers per round, plus the node itself). */
export const MAX_AGGREGATE_INPUTS = 1025
/** Largest count in an entry (2^53 − 1: exact in every JSON reader that uses doubles). */
export const MAX_ENTRY_COUNT = Number.MAX_SAFE_INTEGER

const HEX64 = /^[0-9a-f]{64}$/
const HEX32 = /^[0-9a-f]{32}$/
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
// base58btc, as peer ids are written; the decoder does not parse the key (verify does, once per peer).
const PEER_ID = /^[1-9A-HJ-NP-Za-km-z]{1,128}$/
/** `<size>:<root hex>:<time>:<base64 signature>`, the text form of a checkpoint (ledger-checkpoint.ts): what announcements carry as `ledgerHead`. */
export const CHECKPOINT_TEXT_PATTERN = LEDGER_HEAD_PATTERN

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_ENTRY_COUNT
const isString = (v: unknown): v is string => typeof v === 'string' && v.length <= MAX_ENTRY_STRING_LENGTH

/** Whether `value` is a valid value of `type`. */
export function checkField (type: FieldType, value: unknown): boolean {
  switch (type) {
    case 'hex64': return typeof value === 'string' && HEX64.test(value)
    case 'network-id': return typeof value === 'string' && HEX32.test(value)
    case 'count': return isCount(value)
    case 'number': return typeof value === 'number' && Number.isFinite(value)
    case 'finite-or-null': return value === null || (typeof value === 'number' && Number.isFinite(value))
    case 'string': return isString(value)
    case 'peer-id': return typeof value === 'string' && PEER_ID.test(value)
    case 'base64': return typeof value === 'string' && value.length <= 1024 && BASE64.test(value)
    case 'verdict': return typeof value === 'string' && (value === 'accept' || Object.hasOwn(VALIDATION_CODES, value))
    case 'boolean': return typeof value === 'boolean'
    case 'hex64-list': return Array.isArray(value) && value.length <= MAX_AGGREGATE_INPUTS && value.every(h => typeof h === 'string' && HEX64.test(h))
    case 'json': return isJsonValue(value, 0)
    case 'checkpoint-or-empty': return typeof value === 'string' && (value === '' || CHECKPOINT_TEXT_PATTERN.test(value))
    case 'evidence-reason': return typeof value === 'string' && (EVIDENCE_REASONS as readonly string[]).includes(value)
  }
}

/** Plain JSON data no deeper than 8 levels, with finite numbers only (what canonical JSON writes back unchanged). */
function isJsonValue (value: unknown, depth: number): boolean {
  if (depth > 8) return false
  if (value === null || typeof value === 'boolean') return true
  if (typeof value === 'number') return Number.isFinite(value)
  if (typeof value === 'string') return isString(value)
  if (Array.isArray(value)) return value.every(v => isJsonValue(v, depth + 1))
  if (typeof value === 'object') return Object.values(value).every(v => isJsonValue(v, depth + 1))
  return false
}
