import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { createMeshtrainLibp2p } from '../../src/network/index.ts'
import { DEFAULT_MANIFEST, PAYLOAD_ENCODING, encodeAnnouncement, encodeModelPayload, networkId, parameterCount, payloadHash, signAnnouncement, updateTopic } from '../../src/protocol/index.ts'
import type { NetworkManifest } from '../../src/protocol/index.ts'
import { DaemonProcess, PACED_ROUND_MS, initLocalNodes, tempDir } from './daemon-fixture.ts'

const HONEST = 3
const MANIFEST: NetworkManifest = { ...DEFAULT_MANIFEST, name: 'bad-model-ban', rounds: { quorum: HONEST - 1, deadlineMs: 10_000, window: 2 } }
/** How long the banned server keeps trying to come back, ms: it must be refused throughout. */
const RETRY_MS = 20_000

describe('a peer that serves models whose hash does not match (real daemons and a real libp2p node on 127.0.0.1)', function () {
  this.timeout(300_000)
  const cleanups: Array<() => Promise<void>> = []
  after(async () => { for (const c of cleanups.reverse()) await c() })

  it('is banned by every honest node for 10 minutes and not readmitted while it keeps trying', async () => {
    const scratch = await tempDir()
    cleanups.push(scratch.remove)
    const nodes = await initLocalNodes(scratch.path, HONEST, MANIFEST)
    for (const [i, node] of nodes.entries()) {
      await writeFile(join(node.dir, 'config.json'), JSON.stringify({
        // Paced: flat out, each daemon trained 133 rounds in the test's 29 s, which needs them running only.
        listen: [`/ip4/127.0.0.1/tcp/${node.port}`], bootstrap: nodes.filter(n => n !== node).map(n => n.address), mdns: false, shard: `${i}/${HONEST + 1}`, minRoundMs: PACED_ROUND_MS
      }))
    }
    const daemons = nodes.map(n => new DaemonProcess(n.dir))
    cleanups.push(async () => { for (const d of daemons) d.stop() })
    for (const d of daemons) await d.waitFor(() => d.lastRound >= 0, 'a first round', 120_000)

    // The bad server: announces a model each round and serves other bytes under its hash.
    const id = networkId(MANIFEST)
    const key = await generateKeyPair('Ed25519')
    const bad = await createMeshtrainLibp2p({ privateKey: key, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], mdns: false, networkId: id, maxPayloadBytes: parameterCount(MANIFEST.model) * 4 })
    await bad.start()
    cleanups.push(async () => { await bad.stop() })
    const badId = bad.peerId.toString()
    const served = new Map<string, Uint8Array>()
    bad.services.modelTransfer.servePayloads({ lookup: hash => served.get(hash) })
    bad.services.pubsub.subscribe(updateTopic(id))
    for (const n of nodes) await bad.dial(multiaddr(n.address))
    const announced = new Set<number>()
    const announceRound = async (): Promise<void> => {
      const round = Math.min(...daemons.map(d => d.lastRound + 1))
      if (announced.has(round)) return
      announced.add(round)
      const weights = new Float32Array(parameterCount(MANIFEST.model)).fill(round + 1)
      const payload = encodeModelPayload(weights)
      const hash = payloadHash(payload)
      const wrong = payload.slice()
      wrong[0] = (wrong[0] ?? 0) ^ 0xff
      served.set(hash, wrong)
      const announcement = await signAnnouncement({
        networkId: id, peerId: badId, round, modelHash: hash, byteLength: payload.byteLength, encoding: PAYLOAD_ENCODING, sampleCount: 1, loss: 0.1, datasetFingerprint: '', ledgerHead: ''
      }, key)
      await bad.services.pubsub.publish(updateTopic(id), encodeAnnouncement(announcement)).catch(() => undefined)
    }
    const bannedBy = (d: DaemonProcess): boolean => new RegExp(`peer ${badId} banned for 10 min`).test(d.stderr)
    const deadline = Date.now() + 120_000
    while (!daemons.every(bannedBy) && Date.now() < deadline) {
      await announceRound()
      await new Promise(resolve => setTimeout(resolve, 500))
    }
    console.log(`      bad-model server announced ${announced.size} rounds before every honest node had banned it`)
    for (const [i, d] of daemons.entries()) assert.ok(bannedBy(d), `node ${i} banned the bad-model server; stderr:\n${d.stderr.slice(-2000)}`)
    for (const [i, d] of daemons.entries()) assert.match(d.stderr, new RegExp(`model from ${badId} refused`), `node ${i} refused a payload; stderr:\n${d.stderr.split('\n').filter(l => l.includes(badId)).join('\n')}`)

    // It keeps coming back: every honest node refuses it for as long as the test watches.
    const until = Date.now() + RETRY_MS
    let attempts = 0
    while (Date.now() < until) {
      for (const n of nodes) {
        attempts++
        await bad.dial(multiaddr(n.address), { signal: AbortSignal.timeout(3000) }).catch(() => undefined)
        // Refused before the handshake, or closed right after it: within 5 s however busy the
        // machine (a readmitted peer stays connected).
        const open = (): boolean => bad.getConnections().some(c => c.remotePeer.toString() === n.peerId && c.status === 'open')
        const closeBy = Date.now() + 5000
        while (open() && Date.now() < closeBy) await new Promise(resolve => setTimeout(resolve, 100))
        assert.ok(!open(), `node ${n.peerId} readmitted the banned server`)
      }
      await new Promise(resolve => setTimeout(resolve, 1000))
    }
    console.log(`      ${attempts} reconnection attempts over ${RETRY_MS / 1000} s, all refused`)
    for (const d of daemons) assert.equal(d.child.exitCode, null, 'honest nodes run on')
  })
})
