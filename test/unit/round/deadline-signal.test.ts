import assert from 'node:assert/strict'
import { getEventListeners } from 'node:events'
import { deadlineSignal } from '../../../src/round/index.ts'
import { collectedAfterThisTurn } from './collect-garbage.ts'

/** A timer of 0 ms set now fires before this one does (same duration: in order). */
const afterZeroTimers = async (): Promise<void> => { await new Promise(resolve => setTimeout(resolve, 0)) }

describe('deadlineSignal', () => {
  it('aborts with a parent\'s reason, and stops listening to every parent', () => {
    const parent = new AbortController()
    const other = new AbortController()
    const deadline = deadlineSignal(60_000, [parent.signal, undefined, other.signal])
    assert.equal(getEventListeners(parent.signal, 'abort').length, 1)
    parent.abort(new Error('stopped'))
    assert.equal(deadline.signal.aborted, true)
    assert.equal((deadline.signal.reason as Error).message, 'stopped')
    assert.equal(deadline.timedOut, false)
    assert.equal(getEventListeners(other.signal, 'abort').length, 0)
  })

  it('is aborted at once when a parent already is', () => {
    const parent = new AbortController()
    parent.abort('gone')
    const deadline = deadlineSignal(60_000, [new AbortController().signal, parent.signal])
    assert.equal(deadline.signal.aborted, true)
    assert.equal(deadline.signal.reason, 'gone')
  })

  it('aborts with a TimeoutError when its time is up, and says it timed out', async () => {
    const parent = new AbortController()
    const deadline = deadlineSignal(0, [parent.signal])
    await afterZeroTimers()
    assert.equal(deadline.signal.aborted, true)
    assert.equal(deadline.timedOut, true)
    assert.equal((deadline.signal.reason as DOMException).name, 'TimeoutError')
    assert.equal(getEventListeners(parent.signal, 'abort').length, 0)
  })

  it('after clear(), neither the timer nor the parent aborts it, and the parent holds no listener', async () => {
    const parent = new AbortController()
    const deadline = deadlineSignal(0, [parent.signal])
    deadline.clear()
    assert.equal(getEventListeners(parent.signal, 'abort').length, 0)
    await afterZeroTimers()
    parent.abort()
    assert.equal(deadline.signal.aborted, false)
  })

  it('waits about 24.8 days at most, where a longer Node timer would fire at once', async () => {
    const deadline = deadlineSignal(2 ** 33)
    await afterZeroTimers()
    assert.equal(deadline.signal.aborted, false)
    deadline.clear()
  })

  it('refuses a duration that is not a non-negative integer', () => {
    for (const ms of [-1, 1.5, NaN]) assert.throws(() => deadlineSignal(ms), RangeError)
  })

  it('a cleared signal is garbage although its parent lives on (AbortSignal.any with AbortSignal.timeout is kept by Node 22)', async () => {
    const parent = new AbortController()
    // Made in a function of their own: a suspended async frame may hold its last local.
    const refs = Array.from({ length: 1000 }, () => {
      const deadline = deadlineSignal(60_000, [parent.signal])
      deadline.clear()
      return new WeakRef(deadline.signal)
    })
    await collectedAfterThisTurn()
    assert.equal(refs.filter(r => r.deref() !== undefined).length, 0)
  })
})
