import assert from 'node:assert/strict'
import { DAEMONS_PER_CORE, SWARM_DEADLINE_MS, swarmDeadlineMs } from '../../../src/cli/swarm-command.ts'

describe('a swarm\'s round deadline', () => {
  it('is 5 s up to 4 daemons per core, and grows with the daemons per core beyond', () => {
    assert.equal(SWARM_DEADLINE_MS, 5000)
    assert.equal(DAEMONS_PER_CORE, 4)
    assert.deepEqual([4, 8, 16, 32, 50].map(n => swarmDeadlineMs(n, 2)), [5000, 5000, 10_000, 20_000, 31_250])
    assert.equal(swarmDeadlineMs(16, 4), 5000)
    // A host that reports no cores counts as one.
    assert.equal(swarmDeadlineMs(8, 0), 10_000)
  })
})
