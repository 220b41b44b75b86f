/** Most peers banned at once, and most whose past bans are remembered for the back-off. */
const MAX_BANNED_PEERS = 4096

/**
 * The first ban of a peer, ms (10 minutes). Its misbehaviour score halves in about 70 s
 * (INVALID_MESSAGE_DECAY), so after a storm of a few hundred bad messages it would stay below the
 * graylist threshold for several minutes anyway.
 */
export const GRAYLIST_BAN_MS = 10 * 60_000

/** The longest ban, ms (24 hours): each new ban of the same peer doubles, up to this. */
export const MAX_BAN_MS = 24 * 60 * 60_000

/**
 * How long a peer's past bans count towards the next one, ms (7 days): a peer that behaves for a
 * week starts again from {@link GRAYLIST_BAN_MS}.
 */
export const BAN_MEMORY_MS = 7 * 24 * 60 * 60_000

/**
 * Peers this node refuses for a while (the connection gater asks it). Gossipsub forgets a peer's
 * score when the peer reconnects, so a peer below the graylist threshold is also disconnected and
 * banned: otherwise it could hang up and come back with a clean score. Bans grow: each ban of a
 * peer lasts twice the one before ({@link banWithBackoff}).
 */
export class PeerBans {
  readonly #until = new Map<string, number>()
  /** Bans so far and when the last one was made, by peer. */
  readonly #history = new Map<string, { bans: number, at: number }>()

  /** Refuse `peerId` for `ms` milliseconds from now. */
  ban (peerId: string, ms: number, now = Date.now()): void {
    this.#until.delete(peerId)
    if (this.#until.size >= MAX_BANNED_PEERS) {
      const first = this.#until.keys().next().value
      if (first !== undefined) this.#until.delete(first)
    }
    this.#until.set(peerId, now + ms)
  }

  /**
   * Ban `peerId` for {@link GRAYLIST_BAN_MS} times 2^(its bans within {@link BAN_MEMORY_MS}),
   * at most {@link MAX_BAN_MS}.
   * @returns the length of this ban, ms.
   */
  banWithBackoff (peerId: string, now = Date.now()): number {
    const past = this.#history.get(peerId)
    const earlier = past !== undefined && now - past.at < BAN_MEMORY_MS ? past.bans : 0
    const ms = Math.min(MAX_BAN_MS, GRAYLIST_BAN_MS * 2 ** earlier)
    this.#history.delete(peerId)
    if (this.#history.size >= MAX_BANNED_PEERS) {
      const oldest = this.#history.keys().next().value
      if (oldest !== undefined) this.#history.delete(oldest)
    }
    this.#history.set(peerId, { bans: earlier + 1, at: now })
    this.ban(peerId, ms, now)
    return ms
  }

  /** When the ban on `peerId` ends, ms since the epoch; undefined when it is not banned. */
  bannedUntil (peerId: string, now = Date.now()): number | undefined {
    return this.isBanned(peerId, now) ? this.#until.get(peerId) : undefined
  }

  isBanned (peerId: string, now = Date.now()): boolean {
    const until = this.#until.get(peerId)
    if (until === undefined) return false
    if (until > now) return true
    this.#until.delete(peerId)
    return false
  }
}
