import assert from 'node:assert/strict'
import { startStaggered } from '../../../src/cli/staggered-start.ts'

describe('staggered start of a swarm\'s daemons', () => {
  it('starts every item, never more than atOnce at a time, in order', async () => {
    const started: number[] = []
    let starting = 0
    let most = 0
    const ready: Array<() => void> = []
    const done = startStaggered([0, 1, 2, 3, 4], 2, async i => {
      started.push(i)
      most = Math.max(most, ++starting)
      await new Promise<void>(resolve => ready.push(resolve))
      starting--
    })
    // Hand out readiness one at a time, in the order the items started.
    for (let k = 0; k < 5; k++) {
      while (ready.length <= k) await new Promise(resolve => setImmediate(resolve))
      ready[k]?.()
    }
    await done
    assert.deepEqual(started, [0, 1, 2, 3, 4])
    assert.equal(most, 2)
  })

  it('stops starting more once the signal aborts', async () => {
    const controller = new AbortController()
    const started: number[] = []
    await startStaggered([0, 1, 2, 3], 1, async i => {
      started.push(i)
      if (i === 1) controller.abort()
    }, controller.signal)
    assert.deepEqual(started, [0, 1])
  })
})
