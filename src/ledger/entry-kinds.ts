import { LEDGER_HEAD_PATTERN, VALIDATION_CODES, canonicalJson } from '../protocol/index.ts'
import type { ValidationCode } from '../protocol/index.ts'
import type { EntryReader, EntryWriter } from './entry-codec.ts'
import { LedgerFormatError } from './ledger-error.ts'

/**
 * The kinds of ledger entry and the exact fields of each one's body, in the order they are
 * encoded: one table, read by the encoder, the strict decoder and the types (docs/wire.md §10.1).
 * A field named `round` is the training round the entry belongs to.
 */

/** The value types a body field can have; each has one binary encoding ({@link FIELD_CODECS}). */
export type FieldType =
  | 'hash' | 'hash?' | 'network-id' | 'uint' | 'f64' | 'f64?' | 'score' | 'string' | 'bytes' | 'peer-id' | 'peer-ref'
  | 'verdict' | 'boolean' | 'json' | 'evidence-reason' | 'checkpoint-ref?' | 'peer-inputs'
  | 'uint>0' | 'f64>0' | 'f64>=0' | 'f64(0,1]' | 'f64(0,1)' | 'privacy-mechanism'

/** Why a peer was caught: two announcements for one round with different models, or two checkpoints of one log that are not consistent. */
export const EVIDENCE_REASONS = ['equivocation', 'forked-log'] as const
export type EvidenceReason = typeof EVIDENCE_REASONS[number]

/** How a private node's training was noised (the manifest's `privacy.mode` other than off): per-example clipping in every step, or the round's model change clipped and noised once. */
export const PRIVACY_MECHANISMS = ['dp-sgd', 'update-clip'] as const
export type PrivacyMechanism = typeof PRIVACY_MECHANISMS[number]

/**
 * What a node made of a peer's input: accepted, left out by the peer-alignment memory
 * (`misaligned`: valid, but its updates have kept pointing away from the median of the node's
 * inputs), or the validation code it was refused with.
 */
export type Verdict = 'accept' | 'misaligned' | ValidationCode

/** A peer's checkpoint as a peer-input records it: the size and root the peer signed (its signature was verified when it arrived). */
export interface CheckpointReference {
  readonly size: number
  /** Merkle root, 64 hex. */
  readonly root: string
}

/** The fields of one peer input inside an `aggregate` entry, in encoding order. */
export const PEER_INPUT_FIELDS = {
  /** Index of the peer in the log's peer table (the `peer` entries, in log order, from 0). */
  peer: 'peer-ref',
  /** The signature of the peer's announcement. */
  signature: 'bytes',
  /** The model hash the announcement named. */
  model: 'hash',
  /** The hash of the float32 model the rule took, when it is not `model` (a float16 or int8 payload); null otherwise. */
  taken: 'hash?',
  /** The peer's checkpoint its announcement carried (size and root), when its signature verified; null otherwise. */
  checkpoint: 'checkpoint-ref?',
  verdict: 'verdict',
  /** Whether the rule took it. */
  used: 'boolean',
  /** Euclidean distance of the peer's model to the aggregate (float32). */
  distance: 'score',
  /** Cosine of the peer's update with the aggregate's, both from the round's start model (float32). */
  cosine: 'score'
} as const satisfies Record<string, FieldType>

/** Every entry kind and its body's fields, in encoding order. */
export const ENTRY_KINDS = {
  /** The network manifest the node adopted (its canonical SHA-256 and network id). */
  manifest: { manifestHash: 'hash', networkId: 'network-id' },
  /** The node's training data: a salted commitment to its examples, their count and schema. */
  data: { commitment: 'hash', examples: 'uint', features: 'uint', classes: 'uint' },
  /** One round's local training: from which model, on which data, with which settings and seed, to which model. */
  training: {
    round: 'uint', startModel: 'hash', data: 'hash', steps: 'uint', batchSize: 'uint', learningRate: 'f64',
    seed: 'uint', loss: 'f64?', backend: 'string', model: 'hash'
  },
  /**
   * The differential privacy of the round's training, right after its `training` entry (a node on a
   * private network, in every round it trained on its data): the mechanism, sigma (the noise's
   * standard deviation over the clipping norm), the clipping norm, the Poisson sampling rate q of
   * each accounted step, the steps this round accounted (localSteps for dp-sgd, 1 for update-clip),
   * the steps the node's accountant has composed in all after it, delta, and the epsilon those steps
   * spend as the node's accountant computed it (RDP of the subsampled Gaussian, src/privacy/).
   */
  privacy: {
    round: 'uint', mechanism: 'privacy-mechanism', noiseMultiplier: 'f64>0', clipNorm: 'f64>0', samplingRate: 'f64(0,1]',
    steps: 'uint>0', stepsSpent: 'uint>0', delta: 'f64(0,1)', epsilon: 'f64>=0'
  },
  /** The announcement the node published for a round (its signature, and the size of the log its checkpoint covered). */
  announcement: { round: 'uint', model: 'hash', signature: 'bytes', checkpointSize: 'uint' },
  /** A peer added to the log's peer table: later entries name it by its index (the number of `peer` entries before this one). */
  peer: { peer: 'peer-id' },
  /**
   * A round's aggregate with everything it was offered: the node's own model (the rule's first
   * input; null in a catch-up), every peer input with its verdict and contribution scores (the
   * used ones follow the own model in this order, the order the rule took them: peer id order), the
   * rule and its options, the output (null when the rule did not run: too few inputs, and the node
   * kept its own model), the time taken.
   */
  aggregate: { round: 'uint', own: 'hash?', inputs: 'peer-inputs', rule: 'string', options: 'json', output: 'hash?', ms: 'f64' },
  /** The evaluation of a model on the node's held-out examples. */
  evaluation: { round: 'uint', model: 'hash', accuracy: 'f64?', loss: 'f64?', examples: 'uint' },
  /** Proof of a peer's misbehaviour: the two conflicting signed statements, as received. */
  evidence: { round: 'uint', peer: 'peer-ref', reason: 'evidence-reason', first: 'string', second: 'string' }
} as const satisfies Record<string, Record<string, FieldType>>

export type EntryKind = keyof typeof ENTRY_KINDS

/** Every entry kind, in the table's order. */
export const ENTRY_KIND_LIST = Object.keys(ENTRY_KINDS) as readonly EntryKind[]

/** One peer input of an `aggregate` entry. */
export type PeerInputRecord = { readonly [F in keyof typeof PEER_INPUT_FIELDS]: FieldValue[typeof PEER_INPUT_FIELDS[F]] }

interface FieldValue {
  hash: string
  'hash?': string | null
  'network-id': string
  uint: number
  f64: number
  'f64?': number | null
  score: number | null
  string: string
  bytes: string
  'peer-id': string
  'peer-ref': number
  verdict: Verdict
  boolean: boolean
  json: unknown
  'evidence-reason': EvidenceReason
  'checkpoint-ref?': CheckpointReference | null
  'peer-inputs': readonly PeerInputRecord[]
  'uint>0': number
  'f64>0': number
  'f64>=0': number
  'f64(0,1]': number
  'f64(0,1)': number
  'privacy-mechanism': PrivacyMechanism
}

/** The body of an entry of kind `K`, typed from the table. */
export type EntryBody<K extends EntryKind> = { readonly [F in keyof typeof ENTRY_KINDS[K]]: FieldValue[typeof ENTRY_KINDS[K][F] & FieldType] }

/** Longest string field of a body, UTF-8 bytes (the evidence fields hold whole announcements). */
export const MAX_ENTRY_STRING_BYTES = 8192
/** Longest signature, bytes (an RSA-4096 signature is 512). */
export const MAX_SIGNATURE_BYTES = 768
/** Most peer inputs one aggregate entry lists (the inbox's announcers per round). */
export const MAX_AGGREGATE_INPUTS = 1024
/** `<size>:<root hex>:<time>:<base64 signature>`, the text form of a checkpoint (ledger-checkpoint.ts): what announcements carry as `ledgerHead`. */
export const CHECKPOINT_TEXT_PATTERN = LEDGER_HEAD_PATTERN

const HEX64 = /^[0-9a-f]{64}$/
const HEX32 = /^[0-9a-f]{32}$/
// base58btc, as peer ids are written; the decoder does not parse the key (verify does, once per peer).
const PEER_ID = /^[1-9A-HJ-NP-Za-km-z]{1,128}$/
const VERDICT_MAX_BYTES = 64

const hexBytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'))
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

function want (ok: boolean, what: string): void {
  if (!ok) throw new RangeError(`bad ${what}`)
}

/** How one field type is written and read back. `write` throws RangeError on a value outside the type; `read` throws LedgerFormatError. */
interface FieldCodec {
  readonly write: (w: EntryWriter, value: unknown, what: string) => void
  readonly read: (r: EntryReader, what: string) => unknown
}

const hash: FieldCodec = {
  write: (w, v, what) => { want(typeof v === 'string' && HEX64.test(v), what); w.fixed(hexBytes(v as string)) },
  read: (r, what) => toHex(r.fixed(32, what))
}

function optional (inner: FieldCodec): FieldCodec {
  return {
    write: (w, v, what) => { w.flag(v !== null); if (v !== null) inner.write(w, v, what) },
    read: (r, what) => (r.flag(what) ? inner.read(r, what) : null)
  }
}

function oneOf (values: readonly string[], what: string): FieldCodec {
  return {
    write: (w, v, field) => { want(typeof v === 'string' && values.includes(v), field); w.string(v as string) },
    read: (r, field) => {
      const v = r.string(VERDICT_MAX_BYTES, field)
      if (!values.includes(v)) throw new LedgerFormatError(`${field}: ${JSON.stringify(v)} is not ${what}`)
      return v
    }
  }
}

const f64: FieldCodec = {
  write: (w, v, what) => { want(typeof v === 'number' && Number.isFinite(v), what); w.f64(v as number) },
  read: (r, what) => r.f64(what)
}

const uint: FieldCodec = {
  write: (w, v, what) => { want(Number.isSafeInteger(v) && (v as number) >= 0, what); w.uint(v as number) },
  read: (r, what) => r.uint(what)
}

/** A number type whose values are limited to a range: written and read as `inner`, refused (RangeError, LedgerFormatError) outside `range`, named by `text`. */
function within (inner: FieldCodec, range: (v: number) => boolean, text: string): FieldCodec {
  return {
    write: (w, v, what) => { want(typeof v === 'number' && range(v), what); inner.write(w, v, what) },
    read: (r, what) => {
      const v = inner.read(r, what) as number
      if (!range(v)) throw new LedgerFormatError(`${what}: ${v} is not ${text}`)
      return v
    }
  }
}

const VERDICTS = ['accept', 'misaligned', ...Object.keys(VALIDATION_CODES)]

/** The encoding of every field type (docs/wire.md §10.1). */
export const FIELD_CODECS: Readonly<Record<FieldType, FieldCodec>> = {
  hash,
  'hash?': optional(hash),
  'network-id': {
    write: (w, v, what) => { want(typeof v === 'string' && HEX32.test(v), what); w.fixed(hexBytes(v as string)) },
    read: (r, what) => toHex(r.fixed(16, what))
  },
  uint,
  f64,
  'f64?': optional(f64),
  score: optional({
    write: (w, v, what) => { want(typeof v === 'number' && Number.isFinite(Math.fround(v)), what); w.f32(v as number) },
    read: (r, what) => r.f32(what)
  }),
  string: {
    write: (w, v, what) => { want(typeof v === 'string' && Buffer.byteLength(v) <= MAX_ENTRY_STRING_BYTES, what); w.string(v as string) },
    read: (r, what) => r.string(MAX_ENTRY_STRING_BYTES, what)
  },
  bytes: {
    write: (w, v, what) => {
      want(typeof v === 'string' && Buffer.from(v, 'base64').toString('base64') === v && v.length > 0 && v.length <= MAX_SIGNATURE_BYTES * 4 / 3, what)
      w.bytes(Buffer.from(v as string, 'base64'))
    },
    read: (r, what) => {
      const b = r.bytes(MAX_SIGNATURE_BYTES, what)
      if (b.byteLength === 0) throw new LedgerFormatError(`${what}: empty`)
      return Buffer.from(b).toString('base64')
    }
  },
  'peer-id': {
    write: (w, v, what) => { want(typeof v === 'string' && PEER_ID.test(v), what); w.string(v as string) },
    read: (r, what) => {
      const v = r.string(128, what)
      if (!PEER_ID.test(v)) throw new LedgerFormatError(`${what}: not a base58btc peer id`)
      return v
    }
  },
  'peer-ref': uint,
  verdict: oneOf(VERDICTS, 'a verdict ("accept", "misaligned" or a validation code)'),
  boolean: {
    write: (w, v, what) => { want(typeof v === 'boolean', what); w.flag(v as boolean) },
    read: (r, what) => r.flag(what)
  },
  json: {
    write: (w, v, what) => {
      const text = canonicalJson(v)
      want(Buffer.byteLength(text) <= MAX_ENTRY_STRING_BYTES && canonicalJson(JSON.parse(text)) === text, what)
      w.string(text)
    },
    read: (r, what) => {
      const text = r.string(MAX_ENTRY_STRING_BYTES, what)
      let value: unknown
      try {
        value = JSON.parse(text)
      } catch {
        throw new LedgerFormatError(`${what}: not JSON`)
      }
      if (canonicalJson(value) !== text) throw new LedgerFormatError(`${what}: not canonical JSON`)
      return value
    }
  },
  'evidence-reason': oneOf(EVIDENCE_REASONS, `one of ${EVIDENCE_REASONS.join(', ')}`),
  'privacy-mechanism': oneOf(PRIVACY_MECHANISMS, `one of ${PRIVACY_MECHANISMS.join(', ')}`),
  'uint>0': within(uint, v => v > 0, 'above 0'),
  'f64>0': within(f64, v => v > 0, 'above 0'),
  'f64>=0': within(f64, v => v >= 0, '0 or above'),
  'f64(0,1]': within(f64, v => v > 0 && v <= 1, 'above 0 and at most 1'),
  'f64(0,1)': within(f64, v => v > 0 && v < 1, 'above 0 and below 1'),
  'checkpoint-ref?': optional({
    write: (w, v, what) => {
      const c = v as CheckpointReference
      want(typeof c === 'object' && Number.isSafeInteger(c.size) && c.size >= 0 && HEX64.test(c.root) && Object.keys(c).length === 2, what)
      w.uint(c.size)
      w.fixed(hexBytes(c.root))
    },
    read: (r, what) => ({ size: r.uint(`${what}.size`), root: toHex(r.fixed(32, `${what}.root`)) })
  }),
  'peer-inputs': {
    write: (w, v, what) => {
      want(Array.isArray(v) && v.length <= MAX_AGGREGATE_INPUTS, what)
      const inputs = v as ReadonlyArray<Record<string, unknown>>
      w.uint(inputs.length)
      for (const [i, input] of inputs.entries()) writeFields(w, PEER_INPUT_FIELDS, input, `${what}[${i}]`)
    },
    read: (r, what) => {
      const n = r.uint(what)
      if (n > MAX_AGGREGATE_INPUTS) throw new LedgerFormatError(`${what}: ${n} inputs, at most ${MAX_AGGREGATE_INPUTS}`)
      return Array.from({ length: n }, (_, i) => readFields(r, PEER_INPUT_FIELDS, `${what}[${i}]`))
    }
  }
}

/** Write `value`'s fields of `spec` in order. @throws RangeError naming a field whose value is outside its type, or a missing or extra field. */
export function writeFields (w: EntryWriter, spec: Readonly<Record<string, FieldType>>, value: Record<string, unknown>, what: string): void {
  const names = Object.keys(spec)
  want(value !== null && typeof value === 'object' && Object.keys(value).length === names.length, `${what} (expected the fields ${names.join(', ')})`)
  for (const name of names) {
    want(Object.hasOwn(value, name), `${what}.${name} (missing)`)
    FIELD_CODECS[spec[name] as FieldType].write(w, value[name], `${what}.${name}`)
  }
}

/** Read the fields of `spec` in order. @throws LedgerFormatError naming the first field at fault. */
export function readFields (r: EntryReader, spec: Readonly<Record<string, FieldType>>, what: string): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, type] of Object.entries(spec)) out[name] = FIELD_CODECS[type].read(r, `${what}.${name}`)
  return out
}
