/** Most hosts remembered; beyond it the one struck longest ago is forgotten. */
export const MAX_BACKOFF_HOSTS = 4096

/** The first refusal window of a host, ms: after one banned peer's connection from it. */
export const HOST_BACKOFF_BASE_MS = 1000

/**
 * The longest refusal window of a host, ms (10 s). A window shuts out every new inbound
 * connection from the host, the honest peers behind the same address (a NAT, or loopback in a
 * local swarm) included, so it stays short; a banned peer that keeps redialling gets one
 * handshake per window at most.
 */
export const HOST_BACKOFF_MAX_MS = 10_000

/**
 * How long a refusal by address is held before the connection is closed, ms (2 s): libp2p joins
 * a peer's concurrent dials into one, so a banned peer redialling in a loop waits this long per
 * attempt instead of failing at once and trying again, which costs both sides CPU on every try.
 */
export const HOST_REFUSAL_HOLD_MS = 2000

/**
 * Refusals held at once; beyond it a refusal closes at once. Small: a held connection counts
 * against libp2p's limit of pending inbound connections (10) for hosts not on its allow list.
 */
export const MAX_HELD_REFUSALS = 2

/** How long a host's strikes count, ms (10 minutes, the first ban's length): a quiet host starts again from the base window. */
export const HOST_STRIKE_MEMORY_MS = 10 * 60_000

/**
 * Per remote address (IP) back-off against banned peers that keep redialling. The peer id is
 * proven only by the encryption handshake, so refusing a banned peer by id costs this node a
 * Noise handshake per redial. Each banned peer's connection refused after its handshake is a
 * strike against its host, and the host's new inbound connections are then refused before the
 * handshake for a window that doubles with each strike, from {@link HOST_BACKOFF_BASE_MS} up to
 * {@link HOST_BACKOFF_MAX_MS}. Loopback is not exempt. Connections already open are untouched.
 * Pure bookkeeping: no timers.
 */
export class HostBackoff {
  readonly #hosts = new Map<string, { strikes: number, at: number, until: number }>()

  /** Count one banned peer's connection from `host`; returns the refusal window it opens, ms. */
  strike (host: string, now = Date.now()): number {
    const past = this.#hosts.get(host)
    const strikes = past !== undefined && now - past.at < HOST_STRIKE_MEMORY_MS ? past.strikes + 1 : 1
    const ms = Math.min(HOST_BACKOFF_MAX_MS, HOST_BACKOFF_BASE_MS * 2 ** (strikes - 1))
    this.#hosts.delete(host)
    if (this.#hosts.size >= MAX_BACKOFF_HOSTS) {
      const oldest = this.#hosts.keys().next().value
      if (oldest !== undefined) this.#hosts.delete(oldest)
    }
    this.#hosts.set(host, { strikes, at: now, until: now + ms })
    return ms
  }

  /** Whether a new inbound connection from `host` is refused now. */
  refuses (host: string, now = Date.now()): boolean {
    const entry = this.#hosts.get(host)
    if (entry === undefined) return false
    if (now - entry.at >= HOST_STRIKE_MEMORY_MS) this.#hosts.delete(host)
    return entry.until > now
  }
}
