import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { lpStream } from '@libp2p/utils'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { EXCESS_CONNECTION_GRACE_MS, connectedPeerCount, createMeshtrainLibp2p, peerDegree } from '../../src/network/index.ts'
import type { MeshtrainLibp2p, VersionSource } from '../../src/network/index.ts'
import { DEFAULT_MANIFEST, MAX_SYNC_REQUEST_BYTES, genesisState, networkId, parseManifest, proposeVersion, signVersion, syncProtocol } from '../../src/protocol/index.ts'
import type { ManifestVersion } from '../../src/protocol/index.ts'
import { until } from './until.ts'

const LOOPBACK = '/ip4/127.0.0.1/tcp/0'

/** Real libp2p nodes on 127.0.0.1 running the sync service, without the round loop or tfjs. */
describe('the sync service between real libp2p nodes', function () {
  this.timeout(60_000)
  const running: MeshtrainLibp2p[] = []
  afterEach(async () => { await Promise.all(running.splice(0).map(async n => n.stop())) })

  async function node (id: string, bootstrap: string[] = [], members: string[] = [], intervalMs = 500, targetPeers?: number): Promise<MeshtrainLibp2p> {
    const privateKey = await generateKeyPair('Ed25519')
    const n = await createMeshtrainLibp2p({
      privateKey, listen: [LOOPBACK], bootstrap, mdns: false, networkId: id, maxPayloadBytes: 1024, members, networkSync: { intervalMs }, ...(targetPeers === undefined ? {} : { targetPeers })
    })
    running.push(n)
    await n.start()
    return n
  }

  const address = (n: MeshtrainLibp2p): string => n.getMultiaddrs()[0]?.toString() ?? ''

  it('a node that knows only a hub meets the hub\'s other peers, and takes the versions the hub serves', async () => {
    const id = networkId(DEFAULT_MANIFEST)
    const hub = await node(id)
    const a = await node(id, [address(hub)])
    const c = await node(id, [address(hub)])
    await until(() => a.getConnections(c.peerId).length > 0 && c.getConnections(a.peerId).length > 0, 'a and c connected through the hub')

    // The hub serves one version; a is offered it.
    const adminKey = await generateKeyPair('Ed25519')
    const admin = peerIdFromPrivateKey(adminKey).toString()
    const genesis = parseManifest({ ...DEFAULT_MANIFEST, admins: [admin] })
    const version = await signVersion(proposeVersion(genesisState(genesis), { threshold: 1 }, 0), adminKey)
    const offered: Array<{ versions: readonly ManifestVersion[], from: string }> = []
    const serving: VersionSource = { current: () => 1, after: n => [version].slice(n), offer: async () => {} }
    const taking: VersionSource = { current: () => 0, after: () => [], offer: async (versions, from) => { offered.push({ versions, from }) } }
    hub.services.networkSync.serveVersions(serving)
    a.services.networkSync.serveVersions(taking)
    a.services.networkSync.syncWith(hub.peerId)
    await until(() => offered.some(o => o.from === hub.peerId.toString()), 'the version offered to a')
    assert.deepEqual(offered.find(o => o.from === hub.peerId.toString())?.versions, [version])
  })

  it('a node that adopts a version asks every peer at once, and each peer behind asks it back for the version', async () => {
    const id = networkId(DEFAULT_MANIFEST)
    const adminKey = await generateKeyPair('Ed25519')
    const genesis = parseManifest({ ...DEFAULT_MANIFEST, admins: [peerIdFromPrivateKey(adminKey).toString()] })
    const version = await signVersion(proposeVersion(genesisState(genesis), { threshold: 1 }, 0), adminKey)
    // No periodic asking within the test: only the asks on identify and those made on purpose.
    const minute = 60_000
    const hub = await node(id, [], [], minute)
    let held = 0
    let served = 0
    hub.services.networkSync.serveVersions({ current: () => held, after: n => { served++; return [version].slice(0, held).slice(n) }, offer: async () => {} })
    const peers = [await node(id, [address(hub)], [], minute), await node(id, [address(hub)], [], minute)]
    const offered = peers.map(() => [] as Array<readonly ManifestVersion[]>)
    peers.forEach((p, i) => {
      p.services.networkSync.serveVersions({ current: () => 0, after: () => [], offer: async versions => { offered[i]?.push(versions) } })
    })
    // Both peers asked the hub when identify completed, and learnt nothing: it held no version yet.
    await until(() => served >= 2, 'both peers\' first asks answered')
    held = 1
    hub.services.networkSync.syncWithEveryPeer()
    await until(() => offered.every(list => list.length > 0), 'the version offered to both peers', 5_000)
    for (const list of offered) assert.deepEqual(list, [[version]])
  })

  it('nodes keep connections to about their target peers, newcomers behind a full hub find the others, and each learns every address', async function () {
    this.timeout(90_000)
    const id = networkId(DEFAULT_MANIFEST)
    // Target 2: each node dials up to 2 peers and keeps inbound connections up to 3 (peerDegree).
    const { max } = peerDegree(2)
    const hub = await node(id, [], [], 500, 2)
    const others: MeshtrainLibp2p[] = []
    for (let i = 0; i < 5; i++) others.push(await node(id, [address(hub)], [], 500, 2))
    const all = [hub, ...others]
    const ids = all.map(n => n.peerId.toString())
    await until(() => all.every(n => {
      const known = new Set([...n.services.networkSync.learnedPeers().keys(), ...n.getConnections().map(c => c.remotePeer.toString())])
      return ids.every(p => p === n.peerId.toString() || known.has(p))
    }), 'every node knowing every other', 30_000)
    const allKnown = Date.now()
    // Nodes hang up on peers beyond their 3 once a grace is over, and a node with fewer than its 2
    // keeps dialling peers it heard of, full ones too: a connection within its grace may take a node
    // beyond its 3 for a while, so those past the grace (and the keeper's next look, with room for a
    // loaded host) are the ones counted. Every node keeps a peer.
    const pastGrace = (n: MeshtrainLibp2p): number => connectedPeerCount(n.getConnections().filter(c => Date.now() - c.timeline.open >= EXCESS_CONNECTION_GRACE_MS + 10_000))
    const degrees = (): string => all.map(n => `${pastGrace(n)} of ${connectedPeerCount(n.getConnections())}`).join(', ')
    // Every connection open when all knew each other is counted from then on.
    await new Promise(resolve => setTimeout(resolve, Math.max(0, allKnown + EXCESS_CONNECTION_GRACE_MS + 10_000 - Date.now())))
    await until(() => all.every(n => pastGrace(n) <= max && connectedPeerCount(n.getConnections()) >= 1), 'every node within its degree, and none alone', 30_000)
      .catch((err: Error) => { throw new Error(`${err.message}; peers past the grace of all peers per node, the hub first: ${degrees()}`) })
    assert.ok(all.some(n => connectedPeerCount(n.getConnections()) < all.length - 1), 'not a full mesh')
  })

  it('the connection gater still decides: a peer named by the hub but not a member is never connected', async () => {
    const id = 'cd'.repeat(16)
    const keys = await Promise.all([0, 1, 2].map(async () => generateKeyPair('Ed25519')))
    const [hubKey, aKey, outsiderKey] = keys as [Awaited<ReturnType<typeof generateKeyPair>>, Awaited<ReturnType<typeof generateKeyPair>>, Awaited<ReturnType<typeof generateKeyPair>>]
    const members = [hubKey, aKey].map(k => peerIdFromPrivateKey(k).toString())
    const make = async (privateKey: typeof hubKey, bootstrap: string[], memberList: string[]): Promise<MeshtrainLibp2p> => {
      const n = await createMeshtrainLibp2p({ privateKey, listen: [LOOPBACK], bootstrap, mdns: false, networkId: id, maxPayloadBytes: 1024, members: memberList, networkSync: { intervalMs: 300 } })
      running.push(n)
      await n.start()
      return n
    }
    // The hub lets the outsider in (its own list is open) and so knows it; a's list is closed.
    const hub = await make(hubKey, [], [])
    const outsider = await make(outsiderKey, [address(hub)], [])
    const a = await make(aKey, [address(hub)], members)
    await until(() => hub.getConnections(outsider.peerId).length > 0 && a.getConnections(hub.peerId).length > 0, 'hub connected to both')
    await new Promise(resolve => setTimeout(resolve, 2_000))
    assert.equal(a.getConnections(outsider.peerId).length, 0)
    assert.equal(outsider.getConnections(a.peerId).length, 0)
  })

  it('a malformed or oversized sync request costs its sender score', async () => {
    const id = networkId(DEFAULT_MANIFEST)
    const hub = await node(id)
    const rude = await node(id, [address(hub)])
    await until(() => rude.getConnections(hub.peerId).length > 0, 'connected')
    const score = (): number => hub.services.peerPenalties.score(rude.peerId.toString())
    for (const frame of [new TextEncoder().encode('{"after":"soon"}'), new Uint8Array(MAX_SYNC_REQUEST_BYTES + 1)]) {
      const before = score()
      const stream = await rude.dialProtocol(hub.peerId, syncProtocol(id))
      await lpStream(stream).write(frame)
      await until(() => score() < before - 5, 'the offence counted')
      stream.abort(new Error('done'))
    }
  })
})
