import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import type { PeerId } from '@libp2p/interface'
import { writeJsonAtomically } from './manifest-chain.ts'

/** File of the peer addresses a node has met, dialled again at its next start. */
export const KNOWN_PEERS_FILE = 'peers.json'

/** Most peers kept, and addresses per peer. */
export const MAX_KNOWN_PEERS = 64
export const MAX_KNOWN_ADDRESSES = 4

/** A peer as the file keeps it. */
export interface KnownPeer {
  readonly id: string
  readonly addrs: readonly string[]
}

/**
 * The addresses of peers met before, as dialable multiaddrs ending in `/p2p/<id>`: a node whose
 * bootstrap peers are all gone reconnects through any member it has met. A missing or damaged
 * file is an empty list (it is only a hint).
 */
export async function loadKnownPeers (dataDir: string, allowed?: (peerId: string) => boolean): Promise<string[]> {
  let peers: unknown
  try {
    peers = JSON.parse(await readFile(join(dataDir, KNOWN_PEERS_FILE), 'utf8'))
  } catch {
    return []
  }
  if (!Array.isArray(peers)) return []
  const out: string[] = []
  for (const p of peers.slice(0, MAX_KNOWN_PEERS) as Array<Partial<KnownPeer>>) {
    if (typeof p?.id !== 'string' || !Array.isArray(p.addrs) || allowed?.(p.id) === false) continue
    for (const a of p.addrs.slice(0, MAX_KNOWN_ADDRESSES)) {
      try {
        out.push(multiaddr(`${String(a)}/p2p/${p.id}`).toString())
      } catch {
        // A damaged entry is skipped: the file is a hint.
      }
    }
  }
  return out
}

/** Keep the peers a node is connected to (merged with those already kept, newest first). */
export async function saveKnownPeers (dataDir: string, connected: readonly KnownPeer[]): Promise<void> {
  const previous = await loadKnownPeersRaw(dataDir)
  const byId = new Map<string, KnownPeer>()
  for (const p of [...connected, ...previous]) {
    if (!byId.has(p.id) && p.addrs.length > 0) byId.set(p.id, { id: p.id, addrs: p.addrs.slice(0, MAX_KNOWN_ADDRESSES) })
  }
  await writeJsonAtomically(join(dataDir, KNOWN_PEERS_FILE), [...byId.values()].slice(0, MAX_KNOWN_PEERS))
}

async function loadKnownPeersRaw (dataDir: string): Promise<KnownPeer[]> {
  try {
    const peers = JSON.parse(await readFile(join(dataDir, KNOWN_PEERS_FILE), 'utf8')) as unknown
    return Array.isArray(peers) ? peers.filter((p): p is KnownPeer => typeof p?.id === 'string' && Array.isArray(p.addrs)) : []
  } catch {
    return []
  }
}

/** The peers a libp2p node is connected to, with the addresses they listen on (from identify). */
export async function connectedPeers (libp2p: {
  getConnections (): ReadonlyArray<{ remotePeer: PeerId }>
  peerStore: { get (peerId: PeerId): Promise<{ addresses: ReadonlyArray<{ multiaddr: { toString (): string } }> }> }
}): Promise<KnownPeer[]> {
  const peers = new Map(libp2p.getConnections().map(c => [c.remotePeer.toString(), c.remotePeer]))
  return Promise.all([...peers.values()].slice(0, MAX_KNOWN_PEERS).map(async peer => {
    const stored = await libp2p.peerStore.get(peer).catch(() => ({ addresses: [] }))
    return { id: peer.toString(), addrs: stored.addresses.map(a => a.multiaddr.toString()).filter(a => !a.includes('/p2p-circuit')).slice(0, MAX_KNOWN_ADDRESSES) }
  }))
}
