import assert from 'node:assert/strict'
import { DAEMONS_PER_CORE, DEADLINE_MS_PER_DAEMON_PER_CORE, SWARM_DEADLINE_MS, swarmDeadlineMs } from '../../../src/cli/swarm-command.ts'

describe('a swarm\'s round deadline', () => {
  it('is 5 s up to 4 daemons per core, and 2.5 s more for each daemon per core beyond', () => {
    assert.equal(SWARM_DEADLINE_MS, 5000)
    assert.equal(DAEMONS_PER_CORE, 4)
    assert.equal(DEADLINE_MS_PER_DAEMON_PER_CORE, 2500)
    assert.deepEqual([4, 8, 16, 32, 50].map(n => swarmDeadlineMs(n, 2)), [5000, 5000, 15_000, 35_000, 57_500])
    assert.equal(swarmDeadlineMs(16, 4), 5000)
    // A host that reports no cores counts as one.
    assert.equal(swarmDeadlineMs(8, 0), 15_000)
  })
})
