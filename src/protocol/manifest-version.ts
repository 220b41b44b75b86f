import { createHash } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PrivateKey, PublicKey } from '@libp2p/interface'
import { InputError } from '../errors/index.ts'
import { MAX_ADMINS, ManifestError, NETWORK_ID_PATTERN, adminThreshold, canonicalJson, networkId, parseManifest } from './manifest.ts'
import type { NetworkManifest } from './manifest.ts'
import { peerIdOfKey, signBytes, verifyBytes } from './signature.ts'

/**
 * Manifest versions: the governed chain that follows a genesis manifest, kept as The Update
 * Framework keeps its root metadata (TUF specification 1.0, section 5.3: each new root is signed
 * by a threshold of the keys of the root before it). The genesis's canonical hash stays the
 * network id; version n names n, the hash of version n − 1, the round from which it applies and the
 * fields it changes, and carries Ed25519 signatures of at least k of the admins of version n − 1
 * over the canonical JSON of its unsigned fields. docs/wire.md, "Manifest versions", is the format.
 */

/** The `kind` of every manifest version: a domain for its signatures, and the format's version. */
export const MANIFEST_VERSION_KIND = 'meshtrain-manifest-version/1'

/** Largest encoded manifest version, bytes: a full members list (10,000 peer ids) and 100 signatures fit. */
export const MAX_MANIFEST_VERSION_BYTES = 2 * 1024 * 1024

/** Largest version number. */
export const MAX_MANIFEST_VERSION = 1_000_000

/** Largest `fromRound` (2^40 − 1, the checkpoint's bound on rounds). */
export const MAX_FROM_ROUND = 2 ** 40 - 1

/** Longest `signatures[].signature`, base64 characters (an Ed25519 signature is 88). */
export const MAX_VERSION_SIGNATURE_LENGTH = 200

/** The manifest fields a version may change; the model and training stay those of the genesis. */
export const CHANGEABLE_KEYS = ['members', 'admins', 'threshold', 'aggregation', 'rounds'] as const

/** New values of changeable fields; each replaces the field whole. */
export type ManifestChanges = Partial<Pick<NetworkManifest, typeof CHANGEABLE_KEYS[number]>>

/** What the admins sign: a version without its signatures. */
export interface ManifestVersionFields {
  readonly kind: typeof MANIFEST_VERSION_KIND
  /** The network id (of the genesis), so a version cannot be replayed into another network. */
  readonly network: string
  /** 1 for the first version after the genesis (which is version 0). */
  readonly version: number
  /** {@link manifestHash} of the version before (the genesis for version 1), 64 hex characters. */
  readonly previous: string
  /** The first round trained under this version. */
  readonly fromRound: number
  readonly changes: ManifestChanges
}

/** One admin's Ed25519 signature over the canonical JSON of the unsigned version, base64. */
export interface VersionSignature {
  readonly signer: string
  readonly signature: string
}

/** A manifest version with its signatures. */
export interface ManifestVersion extends ManifestVersionFields {
  readonly signatures: readonly VersionSignature[]
}

/** Where a node stands after adopting versions 0..`version`. */
export interface ManifestState {
  readonly networkId: string
  readonly version: number
  /** {@link manifestHash} of this version (of the genesis for version 0). */
  readonly hash: string
  readonly fromRound: number
  /** The genesis with every adopted version's changes applied. */
  readonly manifest: NetworkManifest
}

/** Why a version is refused. */
export const VERSION_REFUSALS = ['malformed', 'wrong-network', 'wrong-number', 'wrong-previous', 'wrong-round', 'not-admin', 'bad-signature', 'too-few-signatures', 'bad-change'] as const
export type VersionRefusal = typeof VERSION_REFUSALS[number]

/** A manifest version that is not adopted; `reason` says which check refused it. */
export class ManifestVersionError extends InputError {
  readonly reason: VersionRefusal
  constructor (reason: VersionRefusal, message: string, options?: ErrorOptions) {
    super('bad-manifest-version', `manifest version: ${message}`, options)
    this.reason = reason
  }
}

/**
 * Two different versions with one number, each signed by a threshold of the admins before it:
 * evidence that the admin set is compromised (or split). Neither is adopted over the other.
 */
export class ManifestEquivocationError extends InputError {
  readonly version: number
  /** The hash of the version held and the hash of the one offered. */
  readonly hashes: readonly [string, string]
  constructor (version: number, held: string, offered: string) {
    super('manifest-equivocation', `manifest version ${version}: two different versions signed with this number (${held} held, ${offered} offered): evidence of a compromised admin set; refused`)
    this.version = version
    this.hashes = [held, offered]
  }
}

/** SHA-256 of the canonical JSON, hex: of a version's unsigned fields, or of the genesis manifest. */
export function manifestHash (value: ManifestVersionFields | NetworkManifest): string {
  const fields = 'kind' in value ? unsignedFields(value) : value
  return createHash('sha256').update(canonicalJson(fields)).digest('hex')
}

/** The state of a node that has adopted only the genesis. */
export function genesisState (genesis: NetworkManifest): ManifestState {
  return Object.freeze({ networkId: networkId(genesis), version: 0, hash: manifestHash(genesis), fromRound: 0, manifest: genesis })
}

/**
 * The unsigned next version after `state`, with `changes` checked against the manifest they make.
 * @throws ManifestVersionError `bad-change` naming the setting.
 */
export function proposeVersion (state: ManifestState, changes: ManifestChanges, fromRound: number): ManifestVersionFields {
  const fields: ManifestVersionFields = {
    kind: MANIFEST_VERSION_KIND, network: state.networkId, version: state.version + 1, previous: state.hash, fromRound, changes
  }
  const checked = decodeManifestVersion({ ...fields, signatures: [] })
  if (checked.fromRound < state.fromRound) throw new ManifestVersionError('wrong-round', `fromRound ${fromRound} is before version ${state.version}'s ${state.fromRound}`)
  applyChanges(state.manifest, changes)
  return unsignedFields(checked)
}

/** Add (or replace) this key's signature. */
export async function signVersion (version: ManifestVersionFields | ManifestVersion, privateKey: PrivateKey): Promise<ManifestVersion> {
  const signer = peerIdOfKey(privateKey)
  const fields = unsignedFields(version)
  const signature = Buffer.from(await signBytes(privateKey, signedBytes(fields))).toString('base64')
  const others = ('signatures' in version ? version.signatures : []).filter(s => s.signer !== signer)
  return { ...fields, signatures: [...others, { signer, signature }].sort((a, b) => (a.signer < b.signer ? -1 : 1)) }
}

/**
 * Decode an untrusted version: size, JSON, then every field's type and range.
 * @throws ManifestVersionError `malformed`.
 */
export function decodeManifestVersionBytes (bytes: Uint8Array): ManifestVersion {
  if (bytes.byteLength > MAX_MANIFEST_VERSION_BYTES) throw new ManifestVersionError('malformed', `${bytes.byteLength} bytes, at most ${MAX_MANIFEST_VERSION_BYTES}`)
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch (err) {
    throw new ManifestVersionError('malformed', `not UTF-8 JSON: ${(err as Error).message}`, { cause: err })
  }
  return decodeManifestVersion(json)
}

/**
 * Check the shape of parsed JSON as a manifest version (not its signatures or its place in a chain).
 * @throws ManifestVersionError `malformed` naming the field.
 */
export function decodeManifestVersion (json: unknown): ManifestVersion {
  const o = object(json, '(root)')
  exactKeys(o, '', ['kind', 'network', 'version', 'previous', 'fromRound', 'changes', 'signatures'])
  if (o.kind !== MANIFEST_VERSION_KIND) malformed('kind', `expected "${MANIFEST_VERSION_KIND}"`)
  if (typeof o.network !== 'string' || !NETWORK_ID_PATTERN.test(o.network)) malformed('network', 'expected a network id (32 hex characters)')
  if (!isInt(o.version, 1, MAX_MANIFEST_VERSION)) malformed('version', `expected an integer from 1 to ${MAX_MANIFEST_VERSION}`)
  if (typeof o.previous !== 'string' || !/^[0-9a-f]{64}$/.test(o.previous)) malformed('previous', 'expected a SHA-256 (64 hex characters)')
  if (!isInt(o.fromRound, 0, MAX_FROM_ROUND)) malformed('fromRound', `expected an integer from 0 to ${MAX_FROM_ROUND}`)
  const changes = object(o.changes, 'changes')
  exactKeys(changes, 'changes.', CHANGEABLE_KEYS, false)
  if (Object.keys(changes).length === 0) malformed('changes', 'changes nothing')
  if (!Array.isArray(o.signatures) || o.signatures.length > MAX_ADMINS) malformed('signatures', `expected an array of at most ${MAX_ADMINS}`)
  const signatures = (o.signatures as unknown[]).map((s, i) => {
    const sig = object(s, `signatures[${i}]`)
    exactKeys(sig, `signatures[${i}].`, ['signer', 'signature'])
    if (typeof sig.signer !== 'string' || !isPeerId(sig.signer)) malformed(`signatures[${i}].signer`, 'expected a peer id')
    if (typeof sig.signature !== 'string' || sig.signature.length > MAX_VERSION_SIGNATURE_LENGTH || !/^[A-Za-z0-9+/]+={0,2}$/.test(sig.signature)) {
      malformed(`signatures[${i}].signature`, `expected base64 of at most ${MAX_VERSION_SIGNATURE_LENGTH} characters`)
    }
    return { signer: sig.signer as string, signature: sig.signature as string }
  })
  return {
    kind: MANIFEST_VERSION_KIND,
    network: o.network as string,
    version: o.version as number,
    previous: o.previous as string,
    fromRound: o.fromRound as number,
    changes: changes as ManifestChanges,
    signatures
  }
}

/**
 * Adopt `version` after `state`: right network, number `state.version + 1`, previous hash
 * `state.hash`, fromRound not before the state's, every signer an admin of `state` with a valid
 * signature, at least the threshold of them, and changes that make a valid manifest.
 * @returns the state under the new version.
 * @throws ManifestVersionError naming the check that refused it.
 */
export async function verifyVersion (state: ManifestState, version: ManifestVersion): Promise<ManifestState> {
  if (version.network !== state.networkId) throw new ManifestVersionError('wrong-network', `version ${version.version} is for network ${version.network}, not ${state.networkId}`)
  if (version.version !== state.version + 1) throw new ManifestVersionError('wrong-number', `version ${version.version} offered, the next is ${state.version + 1}`)
  if (version.previous !== state.hash) throw new ManifestVersionError('wrong-previous', `version ${version.version} names previous ${version.previous}, but version ${state.version} is ${state.hash}`)
  if (version.fromRound < state.fromRound) throw new ManifestVersionError('wrong-round', `version ${version.version} applies from round ${version.fromRound}, before version ${state.version}'s ${state.fromRound}`)
  await checkSignatures(state, version)
  const manifest = applyChanges(state.manifest, version.changes)
  return Object.freeze({ networkId: state.networkId, version: version.version, hash: manifestHash(version), fromRound: version.fromRound, manifest })
}

/**
 * Verify a whole chain from its genesis, as a node does at start.
 * @returns the state after each version, the genesis's first.
 * @throws ManifestVersionError for the first version refused.
 */
export async function verifyChain (genesis: NetworkManifest, versions: readonly ManifestVersion[]): Promise<ManifestState[]> {
  const states = [genesisState(genesis)]
  for (const version of versions) states.push(await verifyVersion(states.at(-1) as ManifestState, version))
  return states
}

/**
 * Offer a version to a node whose chain is `states` (from {@link verifyChain}).
 * @returns the new state when it extends the chain; undefined when the chain already holds it.
 * @throws ManifestEquivocationError when a different, validly signed version has a number already
 * held; ManifestVersionError when it is refused.
 */
export async function offerVersion (states: readonly ManifestState[], version: ManifestVersion): Promise<ManifestState | undefined> {
  const current = states.at(-1) as ManifestState
  if (version.version > current.version) return verifyVersion(current, version)
  const held = states[version.version] as ManifestState
  const offered = manifestHash(version)
  if (offered === held.hash) return undefined
  // Valid under the same predecessor, yet different: the admins signed two versions with one number.
  const before = states[version.version - 1] as ManifestState
  if (version.previous === before.hash) {
    await verifyVersion(before, version)
    throw new ManifestEquivocationError(version.version, held.hash, offered)
  }
  throw new ManifestVersionError('wrong-previous', `version ${version.version} names previous ${version.previous}, but version ${before.version} is ${before.hash}`)
}

/** The manifest that governs `round`: the last state whose fromRound is at most `round`. */
export function manifestAt (states: readonly ManifestState[], round: number): ManifestState {
  return [...states].reverse().find(s => s.fromRound <= round) ?? (states[0] as ManifestState)
}

/**
 * The manifest with `changes` applied, validated as a whole.
 * @throws ManifestVersionError `bad-change` naming the setting.
 */
export function applyChanges (manifest: NetworkManifest, changes: ManifestChanges): NetworkManifest {
  try {
    return parseManifest({ ...manifest, ...changes })
  } catch (err) {
    if (err instanceof ManifestError) throw new ManifestVersionError('bad-change', err.message.replace(/^manifest: /, 'changes: '), { cause: err })
    throw err
  }
}

async function checkSignatures (state: ManifestState, version: ManifestVersion): Promise<void> {
  const admins = state.manifest.admins ?? []
  const threshold = adminThreshold(state.manifest)
  if (admins.length === 0) throw new ManifestVersionError('too-few-signatures', `version ${state.version} names no admins: the manifest cannot change`)
  const bytes = signedBytes(version)
  const signers = new Set<string>()
  for (const { signer, signature } of version.signatures) {
    if (!admins.includes(signer)) throw new ManifestVersionError('not-admin', `version ${version.version} is signed by ${signer}, not an admin of version ${state.version}`)
    if (signers.has(signer)) throw new ManifestVersionError('malformed', `version ${version.version} is signed twice by ${signer}`)
    const publicKey = publicKeyOfPeerId(signer)
    const valid = publicKey !== undefined && await verifyBytes(publicKey, bytes, Buffer.from(signature, 'base64'))
    if (!valid) throw new ManifestVersionError('bad-signature', `version ${version.version}: the signature of ${signer} does not verify`)
    signers.add(signer)
  }
  if (signers.size < threshold) {
    throw new ManifestVersionError('too-few-signatures', `version ${version.version} has ${signers.size} valid admin signature${signers.size === 1 ? '' : 's'}, needs ${threshold} of the ${admins.length} admins of version ${state.version}`)
  }
}

function unsignedFields (version: ManifestVersionFields | ManifestVersion): ManifestVersionFields {
  const { kind, network, version: number, previous, fromRound, changes } = version
  return { kind, network, version: number, previous, fromRound, changes }
}

function signedBytes (version: ManifestVersionFields): Uint8Array {
  return new TextEncoder().encode(canonicalJson(unsignedFields(version)))
}

function object (value: unknown, field: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) malformed(field, 'expected an object')
  return value as Record<string, unknown>
}

function exactKeys (o: Record<string, unknown>, prefix: string, keys: readonly string[], all = true): void {
  const unknown = Object.keys(o).find(k => !keys.includes(k))
  if (unknown !== undefined) malformed(`${prefix}${unknown}`, `unknown field; known: ${keys.join(', ')}`)
  const missing = all ? keys.find(k => !Object.hasOwn(o, k)) : undefined
  if (missing !== undefined) malformed(`${prefix}${missing}`, 'missing')
}

function isInt (value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
}

function isPeerId (text: string): boolean {
  try {
    return peerIdFromString(text).toString() === text
  } catch {
    return false
  }
}

function malformed (field: string, what: string): never {
  throw new ManifestVersionError('malformed', `${field}: ${what}`)
}

/** The public key a peer id embeds; undefined for text that is no peer id, or one without its key. */
function publicKeyOfPeerId (text: string): PublicKey | undefined {
  try {
    return peerIdFromString(text).publicKey
  } catch {
    return undefined
  }
}
