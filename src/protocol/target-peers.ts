// Here rather than in the network room, which applies them: the settings table (node/config.ts)
// reads them too, and importing the network room loads libp2p (some 600 modules, about 0.35 s of
// CPU), which `meshtrain init`, the other commands that read a node's files, and a `start` that
// stops on a bad setting have no use for.

/** Peers a node keeps connections to unless told otherwise (the `targetPeers` setting; network/peer-degree.ts). */
export const DEFAULT_TARGET_PEERS = 16

/** Most peers a node may be told to keep connections to. */
export const MAX_TARGET_PEERS = 1000
