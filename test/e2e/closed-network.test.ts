import assert from 'node:assert/strict'
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { createMeshtrainLibp2p } from '../../src/network/index.ts'
import { Libp2pRoundNetwork } from '../../src/network/index.ts'
import { createNetworkKey, loadNetworkKey } from '../../src/network/index.ts'
import type { NetworkKey } from '../../src/network/index.ts'
import type { StatusEvent } from '../../src/node/index.ts'
import { DEFAULT_MANIFEST, encodeAnnouncement, networkId, parameterCount, signAnnouncement } from '../../src/protocol/index.ts'
import type { NetworkManifest } from '../../src/protocol/index.ts'
import type { MeshtrainLibp2p } from '../../src/network/index.ts'
import { DaemonProcess, freePorts, runCli, tempDir } from './daemon-fixture.ts'

const ROUNDS = 8

interface Stranger {
  readonly privateKey: Awaited<ReturnType<typeof generateKeyPair>>
  readonly node: MeshtrainLibp2p
  readonly network: Libp2pRoundNetwork
  readonly received: string[]
  readonly warnings: string[]
  /** Peers whose identify ran over a connection with this node. */
  readonly identified: string[]
}

/** A libp2p node that tries its hardest to join: no member list of its own, announcing every round. */
async function stranger (id: string, key: NetworkKey): Promise<Stranger> {
  const privateKey = await generateKeyPair('Ed25519')
  const warnings: string[] = []
  const log = { info () {}, debug () {}, warn (m: string) { warnings.push(m) } }
  const node = await createMeshtrainLibp2p({ privateKey, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], mdns: false, networkId: id, networkKey: key, log })
  // Identify is the first protocol on every connection: a member that ran it would show up here.
  const identified: string[] = []
  node.addEventListener('peer:identify', evt => { identified.push(evt.detail.peerId.toString()) })
  await node.start()
  const network = new Libp2pRoundNetwork({ libp2p: node, networkId: id })
  const received: string[] = []
  network.onAnnouncement(a => { received.push(a.peerId); return { verdict: 'accept' } })
  await network.start()
  return { privateKey, node, network, received, warnings, identified }
}

describe('a closed network (network key and member list) on 127.0.0.1', function () {
  this.timeout(180_000)
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

  it('members train; a non-member with the key and an outsider with another key get no connection and no message', async () => {
    const temp = await tempDir()
    cleanups.push(temp.remove)
    const [dirA, dirB, dirOther] = ['a', 'b', 'other'].map(n => join(temp.path, n)) as [string, string, string]

    // init --closed makes the key; the second member imports it with init --network-key.
    const initA = await runCli(['init', '--data-dir', dirA, '--closed'])
    assert.equal(initA.code, 0, initA.stderr)
    const initB = await runCli(['init', '--data-dir', dirB, '--network-key', join(dirA, 'network.key')])
    assert.equal(initB.code, 0, initB.stderr)
    const fingerprint = /fingerprint ([0-9a-f]{16})/.exec(initA.stdout)?.[1]
    assert.ok(fingerprint !== undefined, initA.stdout)
    assert.match(initB.stdout, new RegExp(`imported network key .* fingerprint ${fingerprint}`))
    const keyText = (await readFile(join(dirA, 'network.key'), 'utf8')).split('\n')[2] ?? ''
    assert.ok(!initA.stdout.includes(keyText) && !initB.stdout.includes(keyText), 'init never prints the key')
    for (const dir of [dirA, dirB]) assert.equal((await stat(join(dir, 'network.key'))).mode & 0o777, 0o600)

    // The consortium's manifest lists both members; each data directory gets it.
    const peerA = /created node (\S+)/.exec(initA.stdout)?.[1] as string
    const peerB = /created node (\S+)/.exec(initB.stdout)?.[1] as string
    const manifest: NetworkManifest = {
      ...DEFAULT_MANIFEST, name: 'closed-test', aggregation: { rule: 'mean' }, rounds: { quorum: 1, deadlineMs: 5_000, window: 2 }, members: [peerA, peerB].sort()
    }
    const id = networkId(manifest)
    const [portA, portB] = await freePorts(2) as [number, number]
    const addressA = `/ip4/127.0.0.1/tcp/${portA}/p2p/${peerA}`
    const addressB = `/ip4/127.0.0.1/tcp/${portB}/p2p/${peerB}`
    for (const [dir, port, other, shard] of [[dirA, portA, addressB, 0], [dirB, portB, addressA, 1]] as const) {
      await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest))
      await writeFile(join(dir, 'config.json'), JSON.stringify({ listen: [`/ip4/127.0.0.1/tcp/${port}`], bootstrap: [other], mdns: false, shard: `${shard}/2`, rounds: ROUNDS }))
    }

    const [a, b] = [new DaemonProcess(dirA), new DaemonProcess(dirB)]
    cleanups.push(async () => { a.stop(); b.stop() })
    await a.waitFor(() => a.lastRound >= 1, 'the members\' first rounds')

    // A non-member holding the key, and an outsider with another key, both try to join.
    const memberKey = await loadNetworkKey(dirA) as NetworkKey
    const nonMember = await stranger(id, memberKey)
    cleanups.push(async () => { await nonMember.network.stop(); await nonMember.node.stop() })
    await mkdir(dirOther)
    const outsider = await stranger(id, await createNetworkKey(dirOther))
    cleanups.push(async () => { await outsider.network.stop(); await outsider.node.stop() })
    for (const s of [nonMember, outsider]) {
      for (const address of [addressA, addressB]) {
        // The dialler may finish its side of the handshake before the member's gater hangs up.
        await s.node.dial(multiaddr(address), { signal: AbortSignal.timeout(3_000) }).catch(() => undefined)
      }
      // And they announce, in case a connection ever opens.
      const payload = new Uint8Array(parameterCount(manifest.model) * 4)
      const announcement = await signAnnouncement({
        networkId: id, peerId: s.network.peerId, round: a.lastRound + 1, modelHash: 'ab'.repeat(32), byteLength: payload.byteLength, encoding: 'f32le', sampleCount: 1, loss: 0, datasetFingerprint: '', ledgerHead: ''
      }, s.privateKey)
      await s.node.services.pubsub.publish(s.network.topic, encodeAnnouncement(announcement))
    }

    for (const d of [a, b]) assert.equal(await d.exited, 0, d.stderr.slice(-2000))
    for (const s of [nonMember, outsider]) {
      assert.equal(s.node.getConnections().length, 0, 'no connection')
      assert.deepEqual(s.identified, [], 'no protocol ran with a member')
      assert.deepEqual(s.received, [], 'no message in')
      assert.equal(s.network.peerCount(), 0)
    }
    const networkEvents = (d: DaemonProcess): Array<Extract<StatusEvent, { event: 'network' }>> =>
      d.events.filter((e): e is Extract<StatusEvent, { event: 'network' }> => e.event === 'network')
    for (const d of [a, b]) {
      // No message out: the members saw announcements from each other only (the outsiders never got
      // a connection, checked above), all accepted or repeats, or one that came before this node's
      // round loop was ready (on a busy machine the other member may announce round 0 first).
      const outcomes = Object.keys(networkEvents(d).at(-1)?.announcements ?? {})
      assert.ok(outcomes.every(o => o === 'accept' || o === 'duplicate' || o === 'no-handler'), outcomes.join(','))
      assert.ok(d.rounds.every(r => r.peers <= 1), JSON.stringify(d.rounds.map(r => r.peers)))
      assert.ok(d.rounds.filter(r => r.used === 1).length >= ROUNDS - 1, JSON.stringify(d.rounds.map(r => [r.round, r.used])))
      assert.match(d.stderr, new RegExp(`closed network: network key fingerprint ${fingerprint}, 2 members`))
      assert.ok(!d.stderr.includes(keyText), 'the key is never logged')
    }
    assert.ok((a.rounds.at(-1)?.accuracy ?? 0) > 0.8, `members train: held-out accuracy ${a.rounds.at(-1)?.accuracy}`)
    // The wrong key is reported as a likely key mismatch, on the members and on the outsider.
    assert.match(a.stderr + b.stderr, /pre-shared key mismatch\?/)
    assert.ok(outsider.warnings.some(w => /pre-shared key mismatch\?/.test(w)), outsider.warnings.join('\n'))
    console.log(`      outsider saw: ${outsider.warnings[0] ?? '(nothing)'}`)
  })
})
