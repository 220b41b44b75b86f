import type { ConnectionGater, MultiaddrConnection, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { setTimeout as delay } from 'node:timers/promises'
import { HOST_REFUSAL_HOLD_MS, MAX_HELD_REFUSALS } from './host-backoff.ts'
import type { HostBackoff } from './host-backoff.ts'

/** Which gater hook refused a connection; for logs and tests. `host`: before the handshake, by remote address. */
export type GaterHook = 'dial' | 'inbound' | 'outbound' | 'host'

/** What the gater asks about banned peers (see PeerBans in libp2p-node.ts). */
export interface BanList {
  isBanned (peerId: string): boolean
}

/** What {@link memberGater} refuses, and whom it tells. */
export interface MemberGaterInit {
  /**
   * Peer ids allowed, besides this node itself; empty: every peer not banned. A Set is read live:
   * the daemon changes it when it adopts a manifest version.
   */
  readonly members: readonly string[] | ReadonlySet<string>
  /** Peers refused whatever the member list says. */
  readonly bans?: BanList
  /**
   * Remote addresses refused before the handshake: each banned peer's inbound connection
   * refused after its handshake is a strike against its host.
   */
  readonly hosts?: HostBackoff
  /** Told of every refusal (not called for allowed peers); `peer` is undefined for a `host` refusal. */
  readonly onDeny?: (peer: PeerId | undefined, hook: GaterHook, maConn?: MultiaddrConnection) => void
}

/**
 * A connection gater for a closed network's member list, and for banned peers: every peer not on
 * the list (when the list is non-empty) and every banned peer is refused
 * at the earliest hook that knows the peer id: before dialling it, and for inbound connections
 * right after the encryption handshake (the first moment the remote peer id is proven), before
 * the muxer, identify, gossipsub or any other protocol runs. The upgraded-connection hooks refuse
 * again, so a connection can never get past the gater by another path. A banned peer that
 * redials is refused before its handshake once its host is in back-off ({@link HostBackoff}); the
 * first {@link MAX_HELD_REFUSALS} such refusals at a time are held {@link HOST_REFUSAL_HOLD_MS}
 * before the connection closes, so that the redials cost little and come seldom.
 */
export function memberGater (init: MemberGaterInit): ConnectionGater {
  const { bans, hosts, onDeny } = init
  const admitted = memberAdmission(init.members, bans)
  const deny = (peer: PeerId, hook: GaterHook, maConn?: MultiaddrConnection): boolean => {
    const id = peer.toString()
    if (admitted(id)) return false
    if (bans?.isBanned(id) === true && hook === 'inbound' && maConn !== undefined) {
      const host = hostOf(maConn.remoteAddr)
      if (host !== undefined) hosts?.strike(host)
    }
    onDeny?.(peer, hook, maConn)
    return true
  }
  let held = 0
  return {
    denyInboundConnection: async maConn => {
      const host = hostOf(maConn.remoteAddr)
      if (host === undefined || hosts?.refuses(host) !== true) return false
      onDeny?.(undefined, 'host', maConn)
      if (held < MAX_HELD_REFUSALS) {
        held++
        // Unref'd: a stopping node does not wait for it (libp2p closes the connection itself).
        await delay(HOST_REFUSAL_HOLD_MS, undefined, { ref: false }).finally(() => { held-- })
      }
      return true
    },
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

/** The IP address of a multiaddr (`/ip4/1.2.3.4/tcp/5` → `1.2.3.4`); undefined for one without. */
export function hostOf (address: Multiaddr): string | undefined {
  return address.getComponents().find(c => c.name === 'ip4' || c.name === 'ip6')?.value
}
