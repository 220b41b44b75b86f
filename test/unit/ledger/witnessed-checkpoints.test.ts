import assert from 'node:assert/strict'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { AuditLedger, formatCheckpoint, formatLedgerFailure, parseCheckpoint, witnessedCheckpointFailure } from '../../../src/ledger/index.ts'
import { SAMPLE_BODIES, tempDir, testKey } from './fixtures.ts'

/** Peer B's log: `rounds` commits of two evaluation entries each, `variant` making its entries its own; returns the checkpoint text after each commit. */
async function peerLog (dir: string, rounds: number, variant = 0): Promise<{ ledger: AuditLedger, heads: string[] }> {
  let clock = 1_700_000_000_000
  const ledger = await AuditLedger.open({ dataDir: dir, privateKey: await testKey(2), warn: () => {}, now: () => clock++ })
  const heads: string[] = []
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < 2; k++) ledger.append('evaluation', { ...SAMPLE_BODIES.evaluation, round, examples: 100 + variant * (round >= 2 ? 1 : 0) })
    heads.push(formatCheckpoint(await ledger.commit()))
  }
  return { ledger, heads }
}

describe('ledger: the checkpoints a node witnessed, against the peer\'s own log', () => {
  let temp: Awaited<ReturnType<typeof tempDir>>
  beforeEach(async () => { temp = await tempDir() })
  afterEach(async () => { await temp.remove() })

  /** Node A's log recording B's checkpoints after B's rounds 1 and 3 (sizes 4 and 8), in entries 3 and 4 (after the manifest and B's peer entry), soon after B signed them. */
  async function witness (heads: string[]): Promise<AuditLedger> {
    const a = await AuditLedger.open({ dataDir: join(temp.dir, 'a'), privateKey: await testKey(1), warn: () => {}, now: () => 1_700_000_000_100 })
    const peer = peerIdFromPrivateKey(await testKey(2)).toString()
    a.append('manifest', SAMPLE_BODIES.manifest)
    for (const head of [heads[1], heads[3]]) {
      const { size, root } = parseCheckpoint(head as string)
      a.append('aggregate', { ...SAMPLE_BODIES.aggregate, inputs: [{ ...SAMPLE_BODIES.aggregate.inputs[0]!, peer: a.peerIndex(peer), checkpoint: { size, root } }] })
    }
    await a.commit()
    return a
  }

  it('passes a peer whose log extends what it showed, and names the entry that witnessed a rewritten or shortened history', async () => {
    const b = await peerLog(join(temp.dir, 'b'), 6)
    const a = await witness(b.heads)
    const peer = b.ledger.peerId
    assert.deepEqual(witnessedCheckpointFailure(a.entries, peer, b.ledger.entries, b.ledger.checkpoint?.time), { checked: 2, unchecked: 0 })

    // B's history from round 2 on, rewritten: the size-8 checkpoint A witnessed (entry 3) no longer matches.
    const rewritten = await peerLog(join(temp.dir, 'b2'), 6, 1)
    const forked = witnessedCheckpointFailure(a.entries, peer, rewritten.ledger.entries, rewritten.ledger.checkpoint?.time)
    assert.match(formatLedgerFailure(forked.failure ?? { message: 'none' }), new RegExp(`^entry 3: ${peer} signed 8 entries with root [0-9a-f]{64} here, its log's first 8 hash to [0-9a-f]{64}: its history was rewritten \\(a fork\\)$`))

    // B's log cut back to 6 entries and signed again later: fewer entries than it showed A.
    const shorter = await peerLog(join(temp.dir, 'b3'), 3)
    const later = (shorter.ledger.checkpoint?.time ?? 0) + 1e9
    assert.equal(formatLedgerFailure(witnessedCheckpointFailure(a.entries, peer, shorter.ledger.entries, later).failure ?? { message: 'none' }),
      `entry 3: ${peer} signed a log of 8 entries here, and later a log of 6: entries were dropped (a fork)`)
    // An export older than the checkpoint witnessed cannot show that: left unchecked.
    assert.deepEqual(witnessedCheckpointFailure(a.entries, peer, shorter.ledger.entries, 0), { checked: 1, unchecked: 1 })
    for (const l of [a, b.ledger, rewritten.ledger, shorter.ledger]) await l.close()
  })
})
