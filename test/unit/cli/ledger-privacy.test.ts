import assert from 'node:assert/strict'
import { privateTrainingNote } from '../../../src/cli/ledger-reproduce-command.ts'
import { privacyLine } from '../../../src/cli/ledger-verify-command.ts'
import { GENESIS_PREV, encodeEntry, entryHash } from '../../../src/ledger/index.ts'
import type { AnyLedgerEntry, EntryBody, EntryKind, LedgerReport } from '../../../src/ledger/index.ts'
import { SAMPLE_BODIES } from '../ledger/fixtures.ts'

function entries (list: Array<[EntryKind, unknown]>): AnyLedgerEntry[] {
  return list.map(([kind, body], seq) => ({ v: 2, seq, prev: GENESIS_PREV, time: 1_700_000_000_000, kind, body }) as unknown as AnyLedgerEntry)
}

const privacy = SAMPLE_BODIES.privacy
const log = entries([
  ['training', { ...SAMPLE_BODIES.training, round: 2 }], ['evaluation', SAMPLE_BODIES.evaluation],
  ['training', SAMPLE_BODIES.training], ['privacy', privacy], ['evaluation', SAMPLE_BODIES.evaluation]
])

describe('ledger commands on a private node\'s log', () => {
  it('verify: a second line with the epsilon spent by the last privacy entry; none for a log without privacy', () => {
    const report = (list: AnyLedgerEntry[]): LedgerReport => ({
      entries: list.map(entry => { const bytes = encodeEntry(entry); return { entry, bytes, hash: entryHash(bytes) } }), root: '', unsigned: 0
    })
    assert.equal(privacyLine(report(log)),
      `privacy ok: 1 round trained with dp-sgd, each epsilon recomputed; epsilon ${privacy.epsilon} spent by round 3 after 80 steps (sampling rate 0.01, noise multiplier 1.1, clip norm 1, delta 0.00001)`)
    assert.equal(privacyLine(report(log.filter(e => e.kind !== 'privacy'))), undefined)
  })

  it('reproduce: says why a private round\'s training is not re-run, from its privacy entry', () => {
    assert.equal(privateTrainingNote(log, 3),
      'trained with dp-sgd (noise multiplier 1.1, clip norm 1; entry 3): its Poisson-sampled batches and Gaussian noise come from the CSPRNG, so no run reproduces it bit for bit, by design; meshtrain ledger verify checks the epsilon it recorded')
    const clipped = log.map(e => (e.kind === 'privacy' ? { ...e, body: { ...e.body, mechanism: 'update-clip' } as EntryBody<'privacy'> } : e))
    assert.match(privateTrainingNote(clipped, 3), /trained with update-clip .*: its Gaussian noise comes from the CSPRNG/)
    assert.match(privateTrainingNote(log, 2), /recorded no privacy entry for this round: it did not train on its data then/)
  })
})
