import assert from 'node:assert/strict'
import { collectAtMostEvery } from '../../../src/node/collect-garbage.ts'

describe('collectAtMostEvery', () => {
  it('collects on the first call, then only once the interval has passed since the last collection', () => {
    let clock = 0
    let collections = 0
    const afterRound = collectAtMostEvery(5000, () => { collections++ }, () => clock)
    const ran: boolean[] = []
    for (const at of [0, 1000, 4999, 5000, 9000, 9999, 10_000, 30_000]) {
      clock = at
      ran.push(afterRound())
    }
    assert.deepEqual(ran, [true, false, false, true, false, false, true, true])
    assert.equal(collections, 4)
  })
})
