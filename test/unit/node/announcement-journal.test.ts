import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createAggregator } from '../../../src/aggregation/index.ts'
import { ANNOUNCED_FILE, AnnouncementJournal } from '../../../src/node/index.ts'
import { DEFAULT_MANIFEST, networkId } from '../../../src/protocol/index.ts'
import type { NetworkManifest, UpdateAnnouncement } from '../../../src/protocol/index.ts'
import { InProcessNetwork, RoundLoop, silentLogger } from '../../../src/round/index.ts'
import type { LocalTrainer } from '../../../src/round/index.ts'

const MANIFEST: NetworkManifest = { ...DEFAULT_MANIFEST, aggregation: { rule: 'mean' }, rounds: { quorum: 0, deadlineMs: 100, window: 2 } }
const ID = networkId(MANIFEST)
const PARAMETERS = 4

describe('announcement journal: a restart never announces a second model for a round', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'meshtrain-journal-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  /** Run round 0 once with a trainer whose result differs on every call (as real training can). */
  async function runRoundZero (network: InProcessNetwork, calls: { count: number }): Promise<void> {
    const key = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(1))
    const peerId = peerIdFromPrivateKey(key).toString()
    const journal = await AnnouncementJournal.open(dir, ID, PARAMETERS, silentLogger)
    const member = network.join(peerId)
    const trainer: LocalTrainer = {
      train: async weights => { calls.count++; return { weights: weights.map(w => w + calls.count), loss: calls.count, sampleCount: 10 } },
      evaluateHoldout: async () => ({ accuracy: 0, loss: 0 })
    }
    const loop = new RoundLoop({
      manifest: MANIFEST, networkId: ID, privateKey: key, peerId, parameterCount: PARAMETERS, datasetFingerprint: '', startRound: 0, startWeights: new Float32Array(PARAMETERS), rounds: 1
    }, {
      network: journal.wrapNetwork(member),
      trainer: journal.wrapTrainer(trainer),
      aggregator: createAggregator(MANIFEST.aggregation),
      log: silentLogger,
      // No checkpoint is written: the node stops after announcing round 0 and before recording it.
      onRound: () => {}
    })
    await loop.run(new AbortController().signal)
    // The process ends: the member leaves, and joins again when the node restarts.
    member.leave()
  }

  it('announces the same model hash for round 0 after a restart, without training it again', async () => {
    const network = new InProcessNetwork()
    const seen: UpdateAnnouncement[] = []
    const observer = network.join('observer')
    observer.onAnnouncement(a => { seen.push(a); return { verdict: 'accept' } })
    const calls = { count: 0 }
    await runRoundZero(network, calls)
    assert.equal(calls.count, 1)
    await runRoundZero(network, calls)
    assert.equal(calls.count, 1, 'the restarted node did not train round 0 again')
    const hashes = [...new Set(seen.filter(a => a.round === 0).map(a => a.modelHash))]
    assert.equal(hashes.length, 1, `one model for round 0, announced ${seen.length} times`)
  })

  it('a journal of another network, a later round, or a payload that does not match it is not repeated', async () => {
    const network = new InProcessNetwork()
    await runRoundZero(network, { count: 0 })
    assert.ok((await AnnouncementJournal.open(dir, ID, PARAMETERS, silentLogger)).announced(0) !== undefined)
    assert.equal((await AnnouncementJournal.open(dir, ID, PARAMETERS, silentLogger)).announced(1), undefined)
    assert.equal((await AnnouncementJournal.open(dir, 'f'.repeat(32), PARAMETERS, silentLogger)).announced(0), undefined)
    await writeFile(join(dir, 'announced.payload'), new Uint8Array(PARAMETERS * 4))
    assert.equal((await AnnouncementJournal.open(dir, ID, PARAMETERS, silentLogger)).announced(0), undefined)
    await rm(join(dir, ANNOUNCED_FILE))
    assert.equal((await AnnouncementJournal.open(dir, ID, PARAMETERS, silentLogger)).announced(0), undefined)
  })
})
