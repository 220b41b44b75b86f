import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { ValidationError } from './validation-error.ts'
import { MAX_MANIFEST_VERSION_BYTES, decodeManifestVersion } from './manifest-version.ts'
import type { ManifestVersion } from './manifest-version.ts'

/**
 * The sync protocol (docs/wire.md, section 6a): one request, one answer, each a length-prefixed
 * JSON frame. A node asks a peer for the members it knows (with their listen addresses), so one
 * bootstrap address is enough to find every member, and for the manifest versions after its own,
 * so a version published on one node reaches every node.
 */

/** Stream protocol of peer and manifest-version exchange. */
export function syncProtocol (networkId: string): string {
  return `/meshtrain/${networkId}/sync/1.0.0`
}

/** Largest request frame, bytes. */
export const MAX_SYNC_REQUEST_BYTES = 64

/** Most peers in one answer. */
export const MAX_SYNC_PEERS = 256

/** Most addresses per peer in an answer. */
export const MAX_SYNC_ADDRESSES = 8

/** Longest address in an answer, characters. */
export const MAX_SYNC_ADDRESS_LENGTH = 256

/** Most manifest versions in one answer; a node further behind asks again. */
export const MAX_SYNC_VERSIONS = 4

/** Largest answer frame, bytes: the versions at their limit plus the peers. */
export const MAX_SYNC_RESPONSE_BYTES = MAX_SYNC_VERSIONS * MAX_MANIFEST_VERSION_BYTES + 256 * 1024

/** A peer as an answer names it: its id and the addresses it listens on. */
export interface SyncPeer {
  readonly id: string
  readonly addrs: readonly string[]
}

/** The answer: known peers, and manifest versions after the asker's (in order). */
export interface SyncResponse {
  readonly peers: readonly SyncPeer[]
  readonly versions: readonly ManifestVersion[]
}

/** `{"after":N}`: the asker holds manifest versions up to N. */
export function encodeSyncRequest (after: number): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ after }))
}

/**
 * @throws ValidationError `too-large` or `malformed`.
 */
export function decodeSyncRequest (bytes: Uint8Array): number {
  if (bytes.byteLength > MAX_SYNC_REQUEST_BYTES) throw new ValidationError('too-large', `sync request of ${bytes.byteLength} bytes`)
  const o = parseJson(bytes, 'sync request') as { after?: unknown } | null
  if (o === null || typeof o !== 'object' || Object.keys(o).length !== 1 || !Number.isSafeInteger(o.after) || (o.after as number) < 0) {
    throw new ValidationError('malformed', 'sync request: expected {"after": N}')
  }
  return o.after as number
}

export function encodeSyncResponse (response: SyncResponse): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ peers: response.peers.slice(0, MAX_SYNC_PEERS), versions: response.versions.slice(0, MAX_SYNC_VERSIONS) }))
}

/**
 * Decode an answer: size, JSON, then each peer id, address and version's shape (their signatures
 * are checked when a version is offered to the chain).
 * @throws ValidationError `too-large` or `malformed`.
 */
export function decodeSyncResponse (bytes: Uint8Array): SyncResponse {
  if (bytes.byteLength > MAX_SYNC_RESPONSE_BYTES) throw new ValidationError('too-large', `sync answer of ${bytes.byteLength} bytes`)
  const o = parseJson(bytes, 'sync answer') as { peers?: unknown, versions?: unknown } | null
  if (o === null || typeof o !== 'object' || !Array.isArray(o.peers) || !Array.isArray(o.versions) || Object.keys(o).length !== 2) {
    throw new ValidationError('malformed', 'sync answer: expected {"peers": [...], "versions": [...]}')
  }
  if (o.peers.length > MAX_SYNC_PEERS || o.versions.length > MAX_SYNC_VERSIONS) throw new ValidationError('too-large', 'sync answer: too many peers or versions')
  const peers = o.peers.map((p: unknown): SyncPeer => {
    const peer = p as { id?: unknown, addrs?: unknown } | null
    if (peer === null || typeof peer !== 'object' || typeof peer.id !== 'string' || !Array.isArray(peer.addrs) || peer.addrs.length > MAX_SYNC_ADDRESSES) {
      throw new ValidationError('malformed', 'sync answer: a peer is not {"id", "addrs"}')
    }
    try {
      if (peerIdFromString(peer.id).toString() !== peer.id) throw new Error('not canonical')
      for (const a of peer.addrs) {
        if (typeof a !== 'string' || a.length > MAX_SYNC_ADDRESS_LENGTH) throw new Error('address')
        multiaddr(a)
      }
    } catch (err) {
      throw new ValidationError('malformed', `sync answer: bad peer ${String(peer.id).slice(0, 80)}: ${(err as Error).message}`)
    }
    return { id: peer.id, addrs: peer.addrs as string[] }
  })
  let versions: ManifestVersion[]
  try {
    versions = o.versions.map(v => decodeManifestVersion(v))
  } catch (err) {
    throw new ValidationError('malformed', `sync answer: ${(err as Error).message}`)
  }
  return { peers, versions }
}

function parseJson (bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    throw new ValidationError('malformed', `${what}: not UTF-8 JSON`)
  }
}
