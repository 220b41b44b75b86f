/**
 * Which examples a simulated peer holds. With `dataShards` equal to the number of peers (the
 * default), the peers split MNIST's train part between them: at 1,000 peers, 7 examples each.
 * With fewer shards, peers form groups of `dataShards`: each group splits the whole train part
 * once more, by its own random draw, so every peer holds as many examples as a peer of a
 * `dataShards`-peer network and each group holds every example once (the first group's split
 * is the `dataShards`-peer network's own). That holds the data per peer fixed while the network
 * grows (weak scaling): a comparison of accuracies across network sizes then measures the
 * protocol, not how thinly a fixed data set is spread.
 */
import { deriveSeed } from '../../src/model/index.ts'

export interface PeerShard {
  readonly shard: { readonly index: number, readonly count: number }
  /** The seed of the split (and of the peer's batch order). */
  readonly seed: number
}

/** Peer `index`'s shard of a data set split `dataShards` ways, groups split anew from `seed`. */
export function peerShard (index: number, dataShards: number, seed: number): PeerShard {
  const group = Math.floor(index / dataShards)
  return { shard: { index: index % dataShards, count: dataShards }, seed: group === 0 ? seed : deriveSeed(seed, group) }
}
