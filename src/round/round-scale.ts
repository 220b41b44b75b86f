/**
 * How a round's timing follows the size of the network (docs/design.md, "Scale"): pure functions
 * of the manifest's round settings and the number of peers a node knows.
 */

/**
 * Peers whose announcements reach each other in one gossip hop: gossipsub's mesh degree upper
 * bound (D_hi = 12 in @libp2p/gossipsub's defaults is the most; 8 is the middle of its D_lo..D_hi
 * range and the fanout the scale figures use). Networks up to this size get the manifest's deadline.
 */
export const PEERS_PER_HOP = 8

/** First pause before a waiting node repeats its announcement, ms; each repeat doubles it. */
export const REANNOUNCE_FIRST_MS = 1000

/** Longest pause between two repeats of one announcement, ms. */
export const REANNOUNCE_MAX_MS = 32_000

/**
 * The pause before the `repeat`-th repetition (0 for the first) of an announcement while its
 * node waits for the round's quorum: `firstMs` x 2^repeat, at most {@link REANNOUNCE_MAX_MS}.
 * A fixed interval made every waiting node of a large network republish every second, and every
 * peer receive (and, before duplicates were recognised by hash, verify) each repeat: a storm that
 * grows with the square of the network. Doubling keeps a round's repeats to about log2(deadline).
 */
export function reannounceDelayMs (repeat: number, firstMs: number = REANNOUNCE_FIRST_MS): number {
  return Math.min(firstMs * 2 ** repeat, Math.max(firstMs, REANNOUNCE_MAX_MS))
}

/** A round's deadline over this is the first pause before its announcement is repeated. */
export const REANNOUNCE_DEADLINE_FRACTION = 8

/**
 * The first pause before a waiting node repeats its announcement, ms: {@link REANNOUNCE_FIRST_MS},
 * or 1/8 of the round's deadline when that is longer. A repeat serves peers that joined the
 * topic late; in a network whose rounds are long (a large one, or a simulation where one thread
 * trains every peer) a 1 s repeat would only add traffic.
 */
export function reannounceFirstMs (deadlineMs: number): number {
  return Math.max(REANNOUNCE_FIRST_MS, Math.round(deadlineMs / REANNOUNCE_DEADLINE_FRACTION))
}

/**
 * Peers a round fetches and waits for: the manifest's fanout sample, never more than the peers the
 * node knows; without a fanout, every peer it knows. Grows with a small network and stays flat at
 * the fanout in a large one.
 */
export function sampleSize (fanout: number | undefined, knownPeers: number): number {
  return fanout === undefined || fanout === 0 ? knownPeers : Math.min(fanout, knownPeers)
}

/**
 * A round's deadline in a network of `knownPeers` other peers, ms: the manifest's `deadlineMs`
 * for up to {@link PEERS_PER_HOP} peers, times the gossip hops an announcement needs to reach
 * every peer (log base 8 of the network's size), times the fetches beyond 8 a round makes
 * (`fetched` / 8, when the node fetches every peer's model rather than a fanout sample).
 */
export function scaledDeadlineMs (deadlineMs: number, knownPeers: number, fetched: number): number {
  const hops = Math.max(1, Math.log(knownPeers + 1) / Math.log(PEERS_PER_HOP))
  const fetchRounds = Math.max(1, fetched / PEERS_PER_HOP)
  return Math.round(deadlineMs * hops * fetchRounds)
}

/**
 * Peer models that close a round: the manifest's quorum, or under a fanout of k the smaller of
 * the quorum and k (only sampled peers are fetched, so no more than k can arrive).
 */
export function roundQuorum (quorum: number, fanout: number | undefined): number {
  return fanout === undefined || fanout === 0 ? quorum : Math.min(quorum, fanout)
}

/**
 * How long the start wait goes on once the round's quorum of peers has been seen but no new peer
 * has appeared on the topic, ms (2 min) at least: four times the bootstrap redial's longest pause
 * (network/bootstrap-redial.ts), and more than the pause between two daemons of a 50-daemon swarm
 * started two at a time on a loaded 2-core host (31 s and more; with 30 s, one node started the
 * network with half of it still booting). The wait is for a network starting up, once: a node
 * that is not told to wait (`waitForPeers` 0, the default) never does.
 */
export const START_WAIT_SETTLE_MS = 120_000

/**
 * The start wait's quiet time is at least this many times the longest pause between two new
 * peers so far: peers that appear every 20 s (50 daemons started two at a time on a loaded
 * 2-core host) are still arriving after a quiet 30 s, and a node that started then started the
 * whole network with half of it still booting.
 */
export const START_WAIT_GAP_FACTOR = 3

/** Where a node waiting for its first round stands (`--wait-for-peers`). */
export interface StartWait {
  /** Distinct peers seen on the network's topic since the node started (still connected or not). */
  readonly seen: number
  /** Peers the node was told to wait for (`waitForPeers`: a swarm's N - 1). */
  readonly wanted: number
  /** Peer models that close a round ({@link roundQuorum}). */
  readonly quorum: number
  /** Time since the last peer not seen before appeared on the topic (or since the wait began), ms. */
  readonly sinceNewPeerMs: number
  /** The longest pause between two new peers so far (from the wait's start to the first, then between), ms. */
  readonly longestGapMs: number
  /** Peers heard announcing a model: the network's rounds have begun. */
  readonly announcing: number
}

/**
 * Whether a node waiting before its first round starts: once a peer has announced a model (the
 * network's rounds have begun: waiting longer only puts this node behind), once it has seen
 * every peer it waits for, or once it has seen at least a round's quorum of them and no new one
 * for {@link START_WAIT_SETTLE_MS}, or {@link START_WAIT_GAP_FACTOR} times the longest pause
 * between new peers so far when that is longer. Peers seen count even when their connection has closed since:
 * in a large network on a loaded host connections come and go, and a node that waited for all of
 * them to be connected at one instant waited for ever (50 daemons on 2 cores: 16 to 21 of 49).
 * The first node to start thus starts the others within one gossip hop of its announcement, and
 * rounds run with the peers actually present; the quorum and deadline follow them.
 */
export function startWaitOver (wait: StartWait, settleMs: number = START_WAIT_SETTLE_MS): boolean {
  if (wait.announcing > 0 || wait.seen >= wait.wanted) return true
  return wait.seen >= Math.min(wait.quorum, wait.wanted) && wait.sinceNewPeerMs >= Math.max(settleMs, START_WAIT_GAP_FACTOR * wait.longestGapMs)
}

/** The part of a round's wait after which late sampled peers get stand-ins (a half). */
export const STAND_IN_FRACTION = 0.5

/**
 * When, in a round's wait of `waitMs` (announcement to deadline), a node under a fanout lets
 * peers outside its sample stand in for sampled peers whose models are not in yet, ms after the
 * wait began: half of it. Until then the sample alone counts, so a round's inputs stay a uniform
 * draw unless a sampled peer is late; after it, the round closes on any `quorum` models instead
 * of running to its deadline for one straggler (32 daemons on 2 cores: 32% of node-rounds did).
 */
export function standInDelayMs (waitMs: number): number {
  return Math.max(0, Math.round(waitMs * STAND_IN_FRACTION))
}
