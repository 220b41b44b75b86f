import assert from 'node:assert/strict'
import { ObservedRoundNetwork } from '../../../src/api/index.ts'
import type { FetchObservation } from '../../../src/api/index.ts'
import { TransferError } from '../../../src/protocol/index.ts'
import type { UpdateAnnouncement, ValidationCode } from '../../../src/protocol/index.ts'
import type { AnnouncementOutcome, RoundNetwork } from '../../../src/round/index.ts'

/** A RoundNetwork whose deliveries and fetches the test drives. */
class ScriptedNetwork implements RoundNetwork {
  readonly peerId = 'self'
  handler: ((a: UpdateAnnouncement) => AnnouncementOutcome) | undefined
  readonly penalised: Array<[string, ValidationCode]> = []
  fetchResult: Uint8Array | Error = new Uint8Array(8)
  async announce (): Promise<void> {}
  onAnnouncement (handler: (a: UpdateAnnouncement) => AnnouncementOutcome): void { this.handler = handler }
  async fetchPayload (): Promise<Uint8Array> {
    if (this.fetchResult instanceof Error) throw this.fetchResult
    return this.fetchResult
  }
  peerCount (): number { return 3 }
  penalise (peerId: string, code: ValidationCode): void { this.penalised.push([peerId, code]) }
}

const announcement = (peerId: string, round: number, modelHash: string): UpdateAnnouncement => ({ peerId, round, modelHash } as unknown as UpdateAnnouncement)

describe('ObservedRoundNetwork', () => {
  it('notes per peer the last accepted round and hash, and verdicts by code (duplicates aside)', () => {
    const inner = new ScriptedNetwork()
    const observed = new ObservedRoundNetwork(inner)
    const outcomes: AnnouncementOutcome[] = [
      { verdict: 'accept' }, { verdict: 'accept' }, { verdict: 'ignore', code: 'duplicate' }, { verdict: 'ignore', code: 'stale-round' }, { verdict: 'reject', code: 'equivocation' }
    ]
    observed.onAnnouncement(() => outcomes.shift() as AnnouncementOutcome)
    const deliver = inner.handler as (a: UpdateAnnouncement) => AnnouncementOutcome
    assert.deepEqual(deliver(announcement('a', 4, 'h4')), { verdict: 'accept' })
    deliver(announcement('a', 5, 'h5'))
    deliver(announcement('a', 5, 'h5'))
    deliver(announcement('a', 1, 'h1'))
    deliver(announcement('a', 6, 'h6'))
    observed.penalise('a', 'hash-mismatch')
    const seen = observed.observation('a')
    assert.equal(seen?.lastRound, 5)
    assert.equal(seen?.lastModelHash, 'h5')
    assert.deepEqual(Object.fromEntries(seen?.verdicts ?? []), { accept: 2, 'stale-round': 1, equivocation: 1, 'hash-mismatch': 1 })
    assert.deepEqual(inner.penalised, [['a', 'hash-mismatch']])
    assert.equal(observed.observation('b'), undefined)
    assert.equal(observed.peerCount(), 3)
  })

  it('counts the models the peer-alignment memory left out as the peer\'s misaligned verdicts', () => {
    const observed = new ObservedRoundNetwork(new ScriptedNetwork())
    observed.recordLeftOut(['a', 'b'])
    observed.recordLeftOut(['a'])
    assert.deepEqual(Object.fromEntries(observed.observation('a')?.verdicts ?? []), { misaligned: 2 })
    assert.deepEqual(Object.fromEntries(observed.observation('b')?.verdicts ?? []), { misaligned: 1 })
  })

  it('reports every fetch with its bytes and result, and passes errors on', async () => {
    const inner = new ScriptedNetwork()
    const fetches: FetchObservation[] = []
    const observed = new ObservedRoundNetwork(inner, f => fetches.push(f))
    const signal = new AbortController().signal
    assert.equal((await observed.fetchPayload(announcement('a', 1, 'h'), signal)).byteLength, 8)
    inner.fetchResult = new TransferError('timeout', 'too slow')
    await assert.rejects(observed.fetchPayload(announcement('a', 1, 'h'), signal), /timeout/)
    inner.fetchResult = new Error('boom')
    await assert.rejects(observed.fetchPayload(announcement('a', 1, 'h'), signal), /boom/)
    assert.deepEqual(fetches.map(f => [f.result, f.bytes]), [['ok', 8], ['timeout', 0], ['error', 0]])
    assert.equal(fetches.every(f => f.seconds >= 0), true)
  })
})
