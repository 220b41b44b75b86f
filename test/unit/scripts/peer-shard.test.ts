import assert from 'node:assert/strict'
import { loadDataset, trainingShardOf } from '../../../src/model/index.ts'
import { DEFAULT_MANIFEST } from '../../../src/protocol/index.ts'
import { peerShard } from '../../../scripts/scale/peer-shard.ts'

describe('scripts/scale/peerShard', () => {
  it('gives peers disjoint shards when there are as many shards as peers', () => {
    assert.deepEqual(peerShard(5, 16, 1), { shard: { index: 5, count: 16 }, seed: 1 })
  })

  it('has each group of dataShards peers split the whole train part anew, the first group as a network of that size', () => {
    const dataset = loadDataset({ kind: 'mnist' })
    const options = { model: DEFAULT_MANIFEST.model, training: DEFAULT_MANIFEST.training, data: { kind: 'mnist' } as const }
    const ofPeer = (peer: number) => trainingShardOf(dataset, { ...options, ...peerShard(peer, 4, 1) })
    const ownNetwork = trainingShardOf(dataset, { ...options, shard: { index: 2, count: 4 }, seed: 1 })
    assert.equal(ofPeer(2).fingerprint, ownNetwork.fingerprint)
    // Peer 6 is shard 2 of the second group: as many examples, drawn by another split.
    assert.deepEqual(peerShard(6, 4, 1).shard, { index: 2, count: 4 })
    assert.equal(ofPeer(6).train.count, ownNetwork.train.count)
    assert.notEqual(ofPeer(6).fingerprint, ownNetwork.fingerprint)
  })
})
