import assert from 'node:assert/strict'
import { FetchSlots, QueueFullError } from '../../../src/network/index.ts'

describe('fetch slots', () => {
  it('bounds operations per key and in total, queues in order, refuses beyond the queue', async () => {
    const slots = new FetchSlots({ perKey: 1, total: 2, maxQueued: 2 })
    const a1 = await slots.acquire('a')
    const b1 = await slots.acquire('b')
    const order: string[] = []
    const a2 = slots.acquire('a').then(release => { order.push('a2'); return release })
    const c1 = slots.acquire('c').then(release => { order.push('c1'); return release })
    await assert.rejects(slots.acquire('d'), QueueFullError)
    assert.equal(slots.inFlight, 2)
    assert.equal(slots.queued, 2)
    b1() // frees a total slot; 'a' is still busy, so 'c' goes first
    const releaseC = await c1
    assert.deepEqual(order, ['c1'])
    a1()
    const releaseA = await a2
    assert.deepEqual(order, ['c1', 'a2'])
    releaseC(); releaseA(); releaseA()
    assert.equal(slots.inFlight, 0)
  })

  it('drops an aborted waiter from the queue', async () => {
    const slots = new FetchSlots({ perKey: 1, total: 1, maxQueued: 1 })
    const held = await slots.acquire('a')
    const controller = new AbortController()
    const waiting = slots.acquire('a', controller.signal)
    controller.abort(new Error('gone'))
    await assert.rejects(waiting, /gone/)
    assert.equal(slots.queued, 0)
    held()
    assert.equal(slots.inFlight, 0)
  })
})
