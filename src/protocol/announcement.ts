import { peerIdFromString } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { NETWORK_ID_PATTERN, canonicalJson } from './manifest.ts'
import { SHA256_HEX_PATTERN } from './model-payload.ts'
import { PAYLOAD_ENCODINGS, PAYLOAD_ENCODING_LIST } from './model-encoding.ts'
import type { PayloadEncoding } from './model-encoding.ts'
import { ValidationError } from './validation-error.ts'
import { peerIdOfKey, signBytes, verifyBytes } from './signature.ts'

/** Version of the announcement format; a node rejects versions it does not speak. */
export const ANNOUNCEMENT_VERSION = 1 as const

/** Announcements are small by design; gossipsub never carries model payloads. */
export const MAX_ANNOUNCEMENT_BYTES = 2048

/** Longest `peerId` and `datasetFingerprint` of an announcement, characters. */
export const MAX_ANNOUNCEMENT_STRING_LENGTH = 128

/** Largest `round`, `byteLength` and `sampleCount` of an announcement (2^40). */
export const MAX_ANNOUNCEMENT_COUNT = 2 ** 40

/** Largest `bulkPort`: a TCP port. */
const MAX_PORT = 65535

/** Longest `signature` of an announcement, base64 characters. */
export const MAX_SIGNATURE_LENGTH = 1024

/** Longest `ledgerHead`, characters: a ledger checkpoint's text form is about 170 (docs/wire.md §10.3). */
export const MAX_LEDGER_HEAD_LENGTH = 256

/**
 * A ledger checkpoint's text form, `<size>:<root hex>:<time ms>:<base64 signature>` (docs/wire.md
 * §10.3): what `ledgerHead` carries when it is not empty. Numbers in decimal without leading zeros.
 */
export const LEDGER_HEAD_PATTERN = /^(0|[1-9][0-9]{0,15}):[0-9a-f]{64}:(0|[1-9][0-9]{0,15}):[A-Za-z0-9+/]{1,1024}={0,2}$/

/**
 * The privacy an announcer on a private network has spent (docs/wire.md §4.1): epsilon over every
 * DP step it took up to and including the announced model's, the delta of that guarantee, and the
 * noise multiplier sigma of its steps. Public: computed from public parameters and step counts.
 */
export interface AnnouncedPrivacy {
  /** Epsilon spent, finite, >= 0. */
  readonly epsilon: number
  /** In (0, 1). */
  readonly delta: number
  /** sigma, finite, > 0. */
  readonly noiseMultiplier: number
}

/** The `encoding` of a float32 payload (little-endian float32, in the model's parameter order); the others: {@link PAYLOAD_ENCODINGS}. */
export const PAYLOAD_ENCODING = PAYLOAD_ENCODINGS.float32

/** What a node tells the network after training a round; the payload itself is pulled by hash. */
export interface AnnouncementFields {
  readonly networkId: string
  /** Base58 peer id of the announcer, whose key signs the announcement. */
  readonly peerId: string
  readonly round: number
  /** SHA-256 of the payload, hex. */
  readonly modelHash: string
  readonly byteLength: number
  /** How the payload is laid out: the manifest's `model.encoding` ({@link PAYLOAD_ENCODINGS}). */
  readonly encoding: PayloadEncoding
  /** Training examples the announcer's model has seen this round. */
  readonly sampleCount: number
  /** Mean training loss of the round's local steps. */
  readonly loss: number
  readonly datasetFingerprint: string
  /** The announcer's signed ledger checkpoint, text form ({@link LEDGER_HEAD_PATTERN}); '' when it keeps no ledger. */
  readonly ledgerHead: string
  /** TCP port of the announcer's bulk channel (docs/wire.md §6.2), at the address of its libp2p connection; absent: it has none. */
  readonly bulkPort?: number
  /** On a network whose manifest has `privacy`, required; absent otherwise (the receiver checks, §4.3). */
  readonly privacy?: AnnouncedPrivacy
}

/** Announcement fields plus the version and the announcer's signature over both. */
export interface UpdateAnnouncement extends AnnouncementFields {
  readonly version: typeof ANNOUNCEMENT_VERSION
  /** Signature by the announcer's libp2p key over the canonical JSON of everything else, base64. */
  readonly signature: string
}

/** Sign the fields with the node's libp2p key. */
export async function signAnnouncement (fields: AnnouncementFields, privateKey: PrivateKey): Promise<UpdateAnnouncement> {
  if (fields.peerId !== peerIdOfKey(privateKey)) {
    throw new Error('signAnnouncement: peerId does not belong to the signing key')
  }
  const { privacy, ...rest } = fields
  const unsigned = { ...rest, ...(privacy === undefined ? {} : { privacy: { epsilon: privacy.epsilon, delta: privacy.delta, noiseMultiplier: privacy.noiseMultiplier } }), version: ANNOUNCEMENT_VERSION }
  const signature = await signBytes(privateKey, new TextEncoder().encode(canonicalJson(unsigned)))
  return { ...unsigned, signature: Buffer.from(signature).toString('base64') }
}

/** Wire bytes of an announcement. */
export function encodeAnnouncement (announcement: UpdateAnnouncement): Uint8Array {
  return new TextEncoder().encode(canonicalJson(announcement))
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

/**
 * Decode untrusted bytes into an announcement and verify its signature:
 * size, then JSON, then every field's type and range, then the signature.
 * Network id, round window and duplicates are the receiver's checks, not the codec's.
 * @throws ValidationError with the code of the first failed check.
 */
export async function decodeAnnouncement (bytes: Uint8Array): Promise<UpdateAnnouncement> {
  if (bytes.byteLength > MAX_ANNOUNCEMENT_BYTES) {
    throw new ValidationError('too-large', `${bytes.byteLength} bytes, at most ${MAX_ANNOUNCEMENT_BYTES}`)
  }
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    throw new ValidationError('malformed', 'not UTF-8 JSON')
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new ValidationError('malformed', 'not a JSON object')
  const o = json as Record<string, unknown>
  if (o.version !== ANNOUNCEMENT_VERSION) throw new ValidationError('unknown-version', `version ${JSON.stringify(o.version)}`)
  const expectedKeys = ['byteLength', 'datasetFingerprint', 'encoding', 'ledgerHead', 'loss', 'modelHash', 'networkId', 'peerId', 'round', 'sampleCount', 'signature', 'version']
  // Optional fields: the bulk channel's port (§6.2), the privacy spent on a private network (§4.1).
  for (const optional of ['bulkPort', 'privacy']) if (Object.hasOwn(o, optional)) expectedKeys.push(optional)
  expectedKeys.sort()
  const keys = Object.keys(o).sort()
  if (keys.length !== expectedKeys.length || keys.some((k, i) => k !== expectedKeys[i])) {
    throw new ValidationError('malformed', `fields ${keys.join(',')}`)
  }
  field(typeof o.networkId === 'string' && NETWORK_ID_PATTERN.test(o.networkId), 'networkId')
  field(typeof o.peerId === 'string' && o.peerId.length <= MAX_ANNOUNCEMENT_STRING_LENGTH, 'peerId')
  field(isCount(o.round, MAX_ANNOUNCEMENT_COUNT), 'round')
  field(typeof o.modelHash === 'string' && SHA256_HEX_PATTERN.test(o.modelHash), 'modelHash')
  field(isCount(o.byteLength, MAX_ANNOUNCEMENT_COUNT) && o.byteLength > 0, 'byteLength')
  field(PAYLOAD_ENCODING_LIST.includes(o.encoding as never), 'encoding')
  field(isCount(o.sampleCount, MAX_ANNOUNCEMENT_COUNT), 'sampleCount')
  field(typeof o.loss === 'number' && Number.isFinite(o.loss), 'loss')
  field(typeof o.datasetFingerprint === 'string' && o.datasetFingerprint.length <= MAX_ANNOUNCEMENT_STRING_LENGTH, 'datasetFingerprint')
  field(typeof o.ledgerHead === 'string' && (o.ledgerHead === '' || (o.ledgerHead.length <= MAX_LEDGER_HEAD_LENGTH && LEDGER_HEAD_PATTERN.test(o.ledgerHead))), 'ledgerHead')
  field(o.bulkPort === undefined || (isCount(o.bulkPort, MAX_PORT) && o.bulkPort > 0), 'bulkPort')
  field(o.privacy === undefined || isAnnouncedPrivacy(o.privacy), 'privacy')
  field(typeof o.signature === 'string' && o.signature.length <= MAX_SIGNATURE_LENGTH && BASE64.test(o.signature), 'signature')
  const announcement = o as unknown as UpdateAnnouncement

  let publicKey
  try {
    publicKey = peerIdFromString(announcement.peerId).publicKey
  } catch {
    throw new ValidationError('malformed', 'peerId is not a peer id')
  }
  if (publicKey === undefined) throw new ValidationError('malformed', 'peerId does not embed its public key')
  const { signature, ...unsigned } = announcement
  const signed = new TextEncoder().encode(canonicalJson(unsigned))
  if (!await verifyBytes(publicKey, signed, Buffer.from(signature, 'base64'))) throw new ValidationError('bad-signature', `announcement from ${announcement.peerId}`)
  return announcement
}

function field (ok: boolean, name: string): void {
  if (!ok) throw new ValidationError('malformed', `bad ${name}`)
}

function isAnnouncedPrivacy (value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  const p = value as Record<string, unknown>
  const keys = Object.keys(p).sort()
  return keys.length === 3 && keys[0] === 'delta' && keys[1] === 'epsilon' && keys[2] === 'noiseMultiplier' &&
    typeof p.epsilon === 'number' && Number.isFinite(p.epsilon) && p.epsilon >= 0 &&
    typeof p.delta === 'number' && p.delta > 0 && p.delta < 1 &&
    typeof p.noiseMultiplier === 'number' && Number.isFinite(p.noiseMultiplier) && p.noiseMultiplier > 0
}

function isCount (value: unknown, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max
}
