/** Most peers banned at once; beyond it the ban that ends first is dropped. */
const MAX_BANNED_PEERS = 4096

/**
 * Peers this node refuses for a while (the connection gater asks it). Gossipsub forgets a peer's
 * score when the peer reconnects, so a graylisted peer is also disconnected and banned: otherwise
 * it could hang up and come back with a clean score.
 */
export class PeerBans {
  readonly #until = new Map<string, number>()

  /** Refuse `peerId` for `ms` milliseconds from now. */
  ban (peerId: string, ms: number): void {
    this.#until.delete(peerId)
    if (this.#until.size >= MAX_BANNED_PEERS) {
      const first = this.#until.keys().next().value
      if (first !== undefined) this.#until.delete(first)
    }
    this.#until.set(peerId, Date.now() + ms)
  }

  /** When the ban on `peerId` ends, ms since the epoch; undefined when it is not banned. */
  bannedUntil (peerId: string): number | undefined {
    return this.isBanned(peerId) ? this.#until.get(peerId) : undefined
  }

  isBanned (peerId: string): boolean {
    const until = this.#until.get(peerId)
    if (until === undefined) return false
    if (until > Date.now()) return true
    this.#until.delete(peerId)
    return false
  }
}
