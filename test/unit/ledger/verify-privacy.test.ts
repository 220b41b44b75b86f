import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { AuditLedger, formatLedgerFailure, lastPrivacyRecord, verifyLedgerDirectory } from '../../../src/ledger/index.ts'
import type { EntryBody } from '../../../src/ledger/index.ts'
import { computeEpsilon } from '../../../src/privacy/index.ts'
import { SAMPLE_BODIES, tempDir, testKey } from './fixtures.ts'

const Q = 0.01
const SIGMA = 1.1
const DELTA = 1e-5
const STEPS = SAMPLE_BODIES.training.steps
const epsilonAfter = (steps: number): number => computeEpsilon({ samplingRate: Q, noiseMultiplier: SIGMA, steps }, DELTA).epsilon

/** Round `round`'s privacy entry of a node that has spent `stepsSpent` steps in all, with the epsilon they spend. */
function privacyOf (round: number, stepsSpent: number): EntryBody<'privacy'> {
  return { round, mechanism: 'dp-sgd', noiseMultiplier: SIGMA, clipNorm: 1, samplingRate: Q, steps: STEPS, stepsSpent, delta: DELTA, epsilon: epsilonAfter(stepsSpent) }
}

/**
 * A private node's log, committed and signed by its owner (testKey 1): manifest, data, then per
 * round its training, its privacy entry (from `privacy`, by default the honest one) and an evaluation.
 */
async function privateLog (dir: string, rounds: number, privacy = (round: number): EntryBody<'privacy'> => privacyOf(round, STEPS * (round + 1))): Promise<void> {
  const ledger = await AuditLedger.open({ dataDir: dir, privateKey: await testKey(1), warn: () => {} })
  ledger.append('manifest', SAMPLE_BODIES.manifest)
  ledger.append('data', SAMPLE_BODIES.data)
  for (let round = 0; round < rounds; round++) {
    ledger.append('training', { ...SAMPLE_BODIES.training, round })
    ledger.append('privacy', privacy(round))
    ledger.append('evaluation', { ...SAMPLE_BODIES.evaluation, round })
  }
  await ledger.commit()
  await ledger.close()
}

async function failureOf (dir: string): Promise<string> {
  const key = await testKey(1)
  const report = await verifyLedgerDirectory(dir, peerIdFromPrivateKey(key).toString(), key.publicKey)
  return report.failure === undefined ? 'ok' : formatLedgerFailure(report.failure)
}

describe('ledger verify: a private node\'s privacy entries, recomputed by the accountant', () => {
  let temp: Awaited<ReturnType<typeof tempDir>>
  beforeEach(async () => { temp = await tempDir() })
  afterEach(async () => { await temp.remove() })

  it('passes an honest log, whose last entry holds the epsilon spent in all', async () => {
    await privateLog(temp.dir, 3)
    assert.equal(await failureOf(temp.dir), 'ok')
    const key = await testKey(1)
    const report = await verifyLedgerDirectory(temp.dir, peerIdFromPrivateKey(key).toString(), key.publicKey)
    assert.equal(lastPrivacyRecord(report.entries.map(e => e.entry))?.body.epsilon, epsilonAfter(3 * STEPS))
  })

  it('fails an epsilon the node signed that its steps do not spend, naming the entry and the round', async () => {
    await privateLog(temp.dir, 3, round => (round === 1 ? { ...privacyOf(1, 2 * STEPS), epsilon: epsilonAfter(STEPS) } : privacyOf(round, STEPS * (round + 1))))
    assert.equal(await failureOf(temp.dir), `entry 6: privacy of round 1: epsilon ${epsilonAfter(STEPS)} recorded, but ${2 * STEPS} steps at sampling rate ${Q}, noise multiplier ${SIGMA} and delta ${DELTA} spend epsilon ${epsilonAfter(2 * STEPS)}`)
  })

  it('fails an epsilon changed in the file after it was signed, at that entry (before the chain and the checkpoint fail)', async () => {
    await privateLog(temp.dir, 3)
    const path = join(temp.dir, 'ledger', 'entries.log')
    const bytes = await readFile(path)
    // Round 1's epsilon, float64 little-endian: halved in place.
    const recorded = Buffer.alloc(8)
    recorded.writeDoubleLE(epsilonAfter(2 * STEPS))
    const at = bytes.indexOf(recorded)
    assert.ok(at > 0 && bytes.indexOf(recorded, at + 1) === -1)
    bytes.writeDoubleLE(epsilonAfter(2 * STEPS) / 2, at)
    await writeFile(path, bytes)
    assert.match(await failureOf(temp.dir), /^entry 6: privacy of round 1: epsilon [0-9.]+ recorded, but 40 steps .* spend epsilon [0-9.]+$/)
  })

  it('fails an accountant whose steps went back (its earlier spending forgotten)', async () => {
    await privateLog(temp.dir, 3, round => privacyOf(round, round === 2 ? STEPS : STEPS * (round + 1)))
    assert.equal(await failureOf(temp.dir), `entry 9: privacy of round 2: ${STEPS} steps spent in all, but entry 6 (round 1) had spent ${2 * STEPS} and this round took ${STEPS} more: the accountant went back`)
  })

  it('counts steps spent twice (a round trained again after a crash) as spent, not as a failure', async () => {
    await privateLog(temp.dir, 3, round => privacyOf(round, STEPS * (round + 1) + (round >= 1 ? STEPS : 0)))
    assert.equal(await failureOf(temp.dir), 'ok')
  })

  it('fails a privacy entry that does not account for its round\'s training', async () => {
    await privateLog(temp.dir, 2, round => (round === 1 ? { ...privacyOf(1, 2 * STEPS), round: 0 } : privacyOf(round, STEPS)))
    assert.equal(await failureOf(temp.dir), 'entry 6: privacy of round 0 does not follow that round\'s training entry')
    await temp.remove()
    temp = await tempDir()
    await privateLog(temp.dir, 2, round => ({ ...privacyOf(round, STEPS * (round + 1)), steps: STEPS, stepsSpent: STEPS * (round + 1) + 1, epsilon: epsilonAfter(STEPS * (round + 1) + 1) }))
    assert.equal(await failureOf(temp.dir), 'ok')
    await temp.remove()
    temp = await tempDir()
    await privateLog(temp.dir, 2, round => ({ ...privacyOf(round, 5 * (round + 1)), steps: 5 }))
    assert.equal(await failureOf(temp.dir), `entry 3: privacy of round 0: accounts 5 DP-SGD steps, the training took ${STEPS}`)
    await temp.remove()
    temp = await tempDir()
    const clipped = (round: number, samplingRate: number): EntryBody<'privacy'> => {
      const stepsSpent = round + 1
      return { ...privacyOf(round, stepsSpent), mechanism: 'update-clip', samplingRate, steps: 1, epsilon: computeEpsilon({ samplingRate, noiseMultiplier: SIGMA, steps: stepsSpent }, DELTA).epsilon }
    }
    await privateLog(temp.dir, 2, round => clipped(round, 1))
    assert.equal(await failureOf(temp.dir), 'ok')
    await temp.remove()
    temp = await tempDir()
    await privateLog(temp.dir, 2, round => clipped(round, 0.5))
    assert.equal(await failureOf(temp.dir), 'entry 3: privacy of round 0: update-clip accounts one update of the whole data set (1 step at sampling rate 1), not 1 at 0.5')
  })
})
