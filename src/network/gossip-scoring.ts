import type { GossipsubOpts } from '@libp2p/gossipsub'

/**
 * Gossipsub's peer scoring for the low-rate update topic: weights, thresholds and limits, each
 * with the reason for its value (gossipsub v1.1 spec,
 * https://github.com/libp2p/specs/blob/master/pubsub/gossipsub/gossipsub-v1.1.md#peer-scoring).
 */

/**
 * Loopback, where a local swarm runs many nodes: allowed past the connection manager's
 * per-host inbound rate limit (5 new connections per second by default) and `maxConnections`.
 */
export const LOOPBACK_ALLOW = ['/ip4/127.0.0.0/ipcidr/8', '/ip6/::1/ipcidr/128'] as const

/** Loopback hosts whitelisted for gossipsub's IP-colocation penalty (P6). */
export const LOOPBACK_IPS = ['127.0.0.1', '::1'] as const

/**
 * Largest gossipsub RPC frame accepted, bytes. Announcements are under 2 KiB
 * (MAX_ANNOUNCEMENT_BYTES); 1 MiB leaves room for batched control messages and is a quarter of
 * the 4 MiB default, so a peer cannot make us decode big frames.
 */
export const MAX_GOSSIP_RPC_BYTES = 1024 * 1024

/**
 * Score weight of one invalid message on the update topic (P4, squared counter). Three invalid
 * messages (-90) take a fresh peer below the graylist threshold (-80); a peer that earned the
 * most an honest peer can (time in mesh and first deliveries, about +46) needs four (-114).
 */
export const INVALID_MESSAGE_WEIGHT = -10

/**
 * Gossipsub's score thresholds, set for a low-rate training topic (gossipsub v1.1 spec,
 * https://github.com/libp2p/specs/blob/master/pubsub/gossipsub/gossipsub-v1.1.md#the-score-thresholds).
 * An honest peer's score never goes below 0 here: the only penalties are invalid messages
 * (P4, which honest peers never send), broken promises beyond {@link BEHAVIOUR_PENALTY_THRESHOLD}
 * (P7) and IP colocation (P6, off for loopback).
 */
export const SCORE_THRESHOLDS = {
  /** Below: no gossip (IHAVE/IWANT) is exchanged with the peer. One invalid message (-10) reaches it. */
  gossipThreshold: -10,
  /** Below: this node's own announcements are not flood-published to the peer. */
  publishThreshold: -50,
  /** Below: every RPC from the peer is ignored. Three invalid messages reach it. */
  graylistThreshold: -80,
  /** Peer exchange is taken only from peers this well scored: in practice from members and bootstrap peers' meshes, not strangers. */
  acceptPXThreshold: 10,
  /** Median mesh score below which the node grafts better-scored peers. */
  opportunisticGraftThreshold: 5
} as const

/**
 * Broken promises (IHAVE answered by nothing) a peer may have pending before P7 counts: a slow
 * but honest peer misses the odd IWANT deadline, a spammer of IHAVEs misses them all.
 */
export const BEHAVIOUR_PENALTY_THRESHOLD = 6

/**
 * Most messages and subscriptions one gossipsub RPC may carry; a larger RPC is dropped whole.
 * Announcements are under 2 KiB and travel one to a few per RPC.
 */
export const DECODE_RPC_LIMITS = {
  maxSubscriptions: 64,
  maxMessages: 256,
  maxIhaveMessageIDs: 5000,
  maxIwantMessageIDs: 5000,
  maxControlMessages: 256,
  maxIdontwantMessageIDs: 512,
  maxPeerInfos: 16
} as const

/**
 * Per-second decay of the invalid-message counter: a half-life of about 70 s, so a peer that
 * sent garbage stays penalised for minutes rather than gossipsub's default two seconds.
 */
export const INVALID_MESSAGE_DECAY = 0.99

/**
 * Score weight of one provably invalid payload (hash mismatch, wrong size, non-finite values),
 * fed to gossipsub as its application-specific score (P5): three such payloads (-90) take a peer
 * below the graylist threshold (-80), as three invalid announcements do.
 */
export const INVALID_PAYLOAD_WEIGHT = -30

/** Per-second decay of the invalid-payload penalty, as for invalid messages. */
export const INVALID_PAYLOAD_DECAY = INVALID_MESSAGE_DECAY

/** Weight of the application-specific score (P5), which carries {@link INVALID_PAYLOAD_WEIGHT}: taken as it is. */
export const APP_SPECIFIC_WEIGHT = 1

/**
 * Score parameters of the update topic (gossipsub v1.1 spec,
 * https://github.com/libp2p/specs/blob/master/pubsub/gossipsub/gossipsub-v1.1.md#topic-parameter-calculation).
 * Times are in milliseconds, decays per decay interval (one second).
 */
export const UPDATE_TOPIC_SCORE_PARAMS = {
  /** The topic's score counts as it is (the only scored topic). */
  topicWeight: 1,
  /** P1, time in mesh: 0.01 per second in the mesh ... */
  timeInMeshWeight: 0.01,
  /** ... counted in whole seconds, ms ... */
  timeInMeshQuantum: 1_000,
  /** ... up to an hour's worth (at most +36). */
  timeInMeshCap: 3_600,
  /** P2, first deliveries: +1 each ... */
  firstMessageDeliveriesWeight: 1,
  /** ... decaying by 0.9 a second ... */
  firstMessageDeliveriesDecay: 0.9,
  /** ... up to 10 (at most +10). */
  firstMessageDeliveriesCap: 10,
  // One announcement per peer and round: a mesh peer can never deliver the default
  // 20 messages per window, so the "too few deliveries" penalty (P3, P3b) stays off.
  /** P3 off (weight 0); the other P3 values are gossipsub's defaults and have no effect. */
  meshMessageDeliveriesWeight: 0,
  /** P3 counter decay (default, no effect). */
  meshMessageDeliveriesDecay: 0.5,
  /** P3 counter cap (default, no effect). */
  meshMessageDeliveriesCap: 100,
  /** P3 threshold, messages (default, no effect). */
  meshMessageDeliveriesThreshold: 20,
  /** P3 delivery window, ms (default, no effect). */
  meshMessageDeliveriesWindow: 10,
  /** P3 activation after joining the mesh, ms (default, no effect). */
  meshMessageDeliveriesActivation: 5_000,
  /** P3b off (weight 0). */
  meshFailurePenaltyWeight: 0,
  /** P3b decay (default, no effect). */
  meshFailurePenaltyDecay: 0.5,
  /** P4, invalid messages: {@link INVALID_MESSAGE_WEIGHT}. */
  invalidMessageDeliveriesWeight: INVALID_MESSAGE_WEIGHT,
  /** P4 decay: {@link INVALID_MESSAGE_DECAY}. */
  invalidMessageDeliveriesDecay: INVALID_MESSAGE_DECAY
} as const

/**
 * The score parameters of a meshtrain node: only the update topic is scored; invalid messages
 * (P4) and invalid payloads (P5, `appSpecificScore`) are the penalties an honest peer never earns.
 */
export function gossipScoreParams (topic: string, appSpecificScore: (peerId: string) => number): NonNullable<GossipsubOpts['scoreParams']> {
  return {
    IPColocationFactorWhitelist: new Set(LOOPBACK_IPS),
    behaviourPenaltyThreshold: BEHAVIOUR_PENALTY_THRESHOLD,
    appSpecificScore,
    appSpecificWeight: APP_SPECIFIC_WEIGHT,
    topics: {
      [topic]: { ...UPDATE_TOPIC_SCORE_PARAMS }
    }
  }
}
