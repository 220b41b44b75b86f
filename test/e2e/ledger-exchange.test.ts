import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { lpStream } from '@libp2p/utils'
import { AuditLedger, answerLedgerRequest, decodeEntry, parseCheckpoint, verifyConsistency } from '../../src/ledger/index.ts'
import { createMeshtrainLibp2p } from '../../src/network/index.ts'
import type { MeshtrainLibp2p } from '../../src/network/index.ts'
import { DEFAULT_MANIFEST, MAX_LEDGER_REQUEST_BYTES, ledgerProtocol, networkId } from '../../src/protocol/index.ts'
import { until } from './until.ts'

const LOOPBACK = '/ip4/127.0.0.1/tcp/0'
const fromHex = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'))

/** Real libp2p nodes on 127.0.0.1 running the ledger exchange over a real log on disk, without the round loop or tfjs. */
describe('the ledger exchange between real libp2p nodes', function () {
  this.timeout(60_000)
  const id = networkId(DEFAULT_MANIFEST)
  const running: MeshtrainLibp2p[] = []
  let dir: string
  let ledger: AuditLedger
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshtrain-ledger-exchange-'))
  })
  afterEach(async () => {
    await Promise.all(running.splice(0).map(async n => n.stop()))
    await ledger.close()
    await rm(dir, { recursive: true, force: true })
  })

  async function node (): Promise<MeshtrainLibp2p> {
    const n = await createMeshtrainLibp2p({ privateKey: await generateKeyPair('Ed25519'), listen: [LOOPBACK], bootstrap: [], mdns: false, networkId: id, maxPayloadBytes: 1024 })
    running.push(n)
    await n.start()
    return n
  }

  it('a peer reads a node\'s checkpoint, a consistency proof between two of its sizes and its entries; hostile requests cost score and change nothing', async () => {
    const server = await node()
    const asker = await node()
    const privateKey = await generateKeyPair('Ed25519')
    ledger = await AuditLedger.open({ dataDir: dir, privateKey, warn: () => {} })
    await ledger.append('manifest', { manifestHash: 'a'.repeat(64), networkId: id })
    const old = await ledger.commit()
    for (let round = 0; round < 40; round++) await ledger.append('evaluation', { round, model: 'b'.repeat(64), accuracy: 0.5, loss: null, examples: 100 })
    await ledger.commit()
    server.services.ledgerExchange.serveLedger(request => answerLedgerRequest(ledger, request))
    await asker.dial(server.getMultiaddrs()[0]!)

    const head = await asker.services.ledgerExchange.ask(server.peerId, { get: 'checkpoint' })
    assert.ok('checkpoint' in head)
    const now = parseCheckpoint(head.checkpoint)
    assert.equal(now.size, 41)
    const proof = await asker.services.ledgerExchange.ask(server.peerId, { get: 'consistency', from: old.size, to: now.size })
    assert.ok('proof' in proof && proof.proof.length > 0)
    assert.ok(verifyConsistency(old.size, now.size, fromHex(old.root), fromHex(now.root), proof.proof.map(fromHex)))
    const entries = await asker.services.ledgerExchange.ask(server.peerId, { get: 'entries', from: 1, count: 5 })
    assert.ok('entries' in entries)
    assert.deepEqual(entries.entries.map(e => decodeEntry(Buffer.from(e, 'base64')).seq), [1, 2, 3, 4, 5])
    assert.deepEqual(await asker.services.ledgerExchange.ask(server.peerId, { get: 'consistency', from: 1, to: 42 }), { error: 'out-of-range' })

    // Malformed and oversized requests on raw streams: each costs the sender score; the server keeps answering.
    const score = (): number => server.services.peerPenalties.score(asker.peerId.toString())
    for (const frame of [new TextEncoder().encode('{"get":"consistency","from":"all"}'), new Uint8Array(MAX_LEDGER_REQUEST_BYTES + 1)]) {
      const before = score()
      const stream = await asker.dialProtocol(server.peerId, ledgerProtocol(id))
      await lpStream(stream).write(frame)
      await until(() => score() < before - 5, 'the offence counted')
      stream.abort(new Error('done'))
    }
    const again = await asker.services.ledgerExchange.ask(server.peerId, { get: 'checkpoint' })
    assert.deepEqual(again, head)
  })
})
