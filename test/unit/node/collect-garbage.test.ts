import assert from 'node:assert/strict'
import { GarbageCollector } from '../../../src/node/collect-garbage.ts'

const MIB = 1024 * 1024

describe('GarbageCollector', () => {
  it('after a round, collects on the first call, then only once the interval has passed since the last collection', () => {
    let clock = 0
    let collections = 0
    const garbage = new GarbageCollector({ collect: () => { collections++ }, now: () => clock, residentBytes: () => 100 * MIB, minIntervalMs: 5000 })
    const ran: boolean[] = []
    for (const at of [0, 1000, 4999, 5000, 9000, 9999, 10_000, 30_000]) {
      clock = at
      ran.push(garbage.afterRound())
    }
    assert.deepEqual(ran, [true, false, false, true, false, false, true, true])
    assert.equal(collections, 4)
  })

  it('between rounds, collects once the resident set has grown the threshold beyond what the last collection left, never within the interval', () => {
    let clock = 0
    let resident = 100 * MIB
    const collected: number[] = []
    // A collection frees what grew beyond 100 MiB, but for 1 MiB that stays.
    const garbage = new GarbageCollector({
      collect: () => { collected.push(clock); resident = 101 * MIB }, now: () => clock, residentBytes: () => resident, minIntervalMs: 5000, growthBytes: 8 * MIB
    })
    const ran: boolean[] = []
    for (const [at, mib] of [[1000, 107], [2000, 108], [3000, 120], [6000, 108], [7000, 109], [8000, 115], [20_000, 109]] as const) {
      clock = at
      resident = mib * MIB
      ran.push(garbage.onGrowth())
    }
    // 108 is 8 beyond 100: collected, leaving 101; 120 comes within 5 s of it; 108 is 7 beyond 101;
    // 109 is 8 beyond it, 5 s on: collected; 115 comes within 5 s of that.
    assert.deepEqual(ran, [false, true, false, false, true, false, true])
    assert.deepEqual(collected, [2000, 7000, 20_000])
  })
})
