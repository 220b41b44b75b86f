import assert from 'node:assert/strict'
import { peerIdFromString } from '@libp2p/peer-id'
import { EXCESS_CONNECTION_GRACE_MS, connectedPeerCount, dialRoom, excessPeers, peerDegree } from '../../../src/network/index.ts'

const PEERS = [
  '12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA',
  '12D3KooWKnDdG3iXw9eTFijk3EWSunZcFi54Zka4wmtqtt6rPxc8',
  '12D3KooWGRUVh2HpSbBFYmz6ZkDXa3QoYwpDMv9MXPSDQkNxjrGm',
  '12D3KooWRBhwfeP2Y9CDkFRBAZ1pmxUadH36TKuk3KtKm5XXP8mA'
].map(p => peerIdFromString(p))

function connection (peer: number, openedAt: number): { remotePeer: ReturnType<typeof peerIdFromString>, timeline: { open: number } } {
  return { remotePeer: PEERS[peer] as ReturnType<typeof peerIdFromString>, timeline: { open: openedAt } }
}

describe('a node\'s peer degree', () => {
  it('keeps a quarter more peers than it dials, and refuses targets out of range', () => {
    assert.deepEqual(peerDegree(16), { target: 16, max: 20 })
    assert.deepEqual(peerDegree(2), { target: 2, max: 3 })
    assert.deepEqual(peerDegree(1), { target: 1, max: 2 })
    for (const bad of [0, -1, 1.5, 1001, Number.NaN]) assert.throws(() => peerDegree(bad), RangeError)
  })

  it('counts peers, not connections, and dials only while below its target', () => {
    assert.equal(connectedPeerCount([connection(0, 1), connection(0, 2), connection(1, 3)]), 2)
    const degree = peerDegree(4)
    assert.equal(dialRoom(0, degree), 4)
    assert.equal(dialRoom(3, degree), 1)
    assert.equal(dialRoom(4, degree), 0)
    assert.equal(dialRoom(9, degree), 0)
  })

  it('hangs up on the peers connected last beyond its max, once their grace is over', () => {
    const now = 100_000
    const old = now - EXCESS_CONNECTION_GRACE_MS
    const connections = [connection(2, old - 10), connection(0, old - 30), connection(3, old), connection(1, old - 20)]
    assert.deepEqual(excessPeers(connections, 4, now), [])
    assert.deepEqual(excessPeers(connections, 2, now).map(String), [PEERS[2], PEERS[3]].map(String))
    // A peer whose latest connection is still in its grace stays for now.
    assert.deepEqual(excessPeers([...connections, connection(3, now - 1)], 2, now).map(String), [PEERS[2]].map(String))
  })
})
