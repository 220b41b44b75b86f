import type { ConnectionGater, MultiaddrConnection, PeerId } from '@libp2p/interface'

/** Which gater hook refused a peer; for logs and tests. */
export type GaterHook = 'dial' | 'inbound' | 'outbound'

/** What the gater asks about banned peers (see PeerBans in libp2p-node.ts). */
export interface BanList {
  isBanned (peerId: string): boolean
}

/**
 * A connection gater for a closed network's member list, and for banned peers: every peer not on
 * the list (when the list is non-empty) and every banned peer is refused
 * at the earliest hook that knows the peer id: before dialling it, and for inbound connections
 * right after the encryption handshake (the first moment the remote peer id is proven), before
 * the muxer, identify, gossipsub or any other protocol runs. The upgraded-connection hooks refuse
 * again, so a connection can never get past the gater by another path.
 * @param members peer ids allowed, besides this node itself; empty: every peer not banned. A Set
 *   is read live: the daemon changes it when it adopts a manifest version.
 * @param bans peers refused whatever the member list says.
 * @param onDeny told of every refusal (not called for allowed peers).
 */
export function memberGater (members: readonly string[] | ReadonlySet<string>, bans?: BanList, onDeny?: (peer: PeerId, hook: GaterHook, maConn?: MultiaddrConnection) => void): ConnectionGater {
  const admitted = memberAdmission(members, bans)
  const deny = (peer: PeerId, hook: GaterHook, maConn?: MultiaddrConnection): boolean => {
    if (admitted(peer.toString())) return false
    onDeny?.(peer, hook, maConn)
    return true
  }
  return {
    denyDialPeer: peer => deny(peer, 'dial'),
    denyOutboundConnection: (peer, maConn) => deny(peer, 'outbound', maConn),
    denyInboundEncryptedConnection: (peer, maConn) => deny(peer, 'inbound', maConn),
    denyOutboundEncryptedConnection: (peer, maConn) => deny(peer, 'outbound', maConn),
    denyInboundUpgradedConnection: (peer, maConn) => deny(peer, 'inbound', maConn),
    denyOutboundUpgradedConnection: (peer, maConn) => deny(peer, 'outbound', maConn)
  }
}

/**
 * The gater's rule as a predicate on peer ids, for channels beside libp2p (the bulk channel): a
 * member (or anyone, when the list is empty) that is not banned.
 */
export function memberAdmission (members: readonly string[] | ReadonlySet<string>, bans?: BanList): (peerId: string) => boolean {
  const allowed: ReadonlySet<string> = members instanceof Set ? members : new Set(members)
  return peerId => (allowed.size === 0 || allowed.has(peerId)) && bans?.isBanned(peerId) !== true
}
