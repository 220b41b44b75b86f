import assert from 'node:assert/strict'
import { IdleClock } from '../../../scripts/robustness/idle-clock.ts'

/** Spin the CPU for `ms` of wall time (a step of a simulation on a busy machine). */
function busy (ms: number): void {
  const end = Date.now() + ms
  while (Date.now() < end) { /* spin */ }
}

/**
 * Resolves once the clock has no timer left. It polls on a wall timer: a poll by setImmediate
 * would itself be a queued callback, and the clock would wait for it for ever.
 */
async function drained (clock: IdleClock): Promise<void> {
  for (let i = 0; i < 5000 && clock.pending > 0; i++) await new Promise(resolve => setTimeout(resolve, 1))
  assert.equal(clock.pending, 0)
}

describe('IdleClock (the robustness simulation\'s round clock)', () => {
  it('starts at 0 and stands still while the process works, however long on the wall clock', () => {
    const clock = new IdleClock()
    assert.equal(clock.now(), 0)
    busy(30)
    assert.equal(clock.now(), 0)
  })

  it('fires a timer only once no other callback is queued, at its due time', async () => {
    const clock = new IdleClock()
    const events: string[] = []
    clock.after(10, () => { events.push(`timer at ${clock.now()}`) })
    // A chain of 200 callbacks, each longer on the wall clock than the timer's 10 ms together.
    let step = 0
    await new Promise<void>(resolve => {
      const next = (): void => {
        if (step === 200) { events.push('chain done'); resolve(); return }
        step++
        if (step % 50 === 0) busy(11)
        setImmediate(next)
      }
      setImmediate(next)
    })
    await drained(clock)
    assert.deepEqual(events, ['chain done', 'timer at 10'])
    assert.equal(clock.now(), 10)
  })

  it('waits for promise jobs too: a chain of awaits finishes before time moves', async () => {
    const clock = new IdleClock()
    const events: string[] = []
    clock.after(0, () => { events.push('timer') })
    void (async () => {
      for (let i = 0; i < 1000; i++) await Promise.resolve()
      events.push('awaits done')
    })()
    await drained(clock)
    assert.deepEqual(events, ['awaits done', 'timer'])
  })

  it('fires timers in order of due time, ties in the order they were set, moving time to each', async () => {
    const clock = new IdleClock()
    const fired: Array<[string, number]> = []
    const at = (name: string, ms: number): (() => void) => clock.after(ms, () => { fired.push([name, clock.now()]) })
    at('c', 30)
    at('a', 10)
    at('b', 10)
    at('d', 0)
    await drained(clock)
    assert.deepEqual(fired, [['d', 0], ['a', 10], ['b', 10], ['c', 30]])
  })

  it('measures a timer set from a callback from that callback\'s time', async () => {
    const clock = new IdleClock()
    const fired: number[] = []
    clock.after(5, () => {
      fired.push(clock.now())
      clock.after(7, () => { fired.push(clock.now()) })
    })
    await drained(clock)
    assert.deepEqual(fired, [5, 12])
  })

  it('never fires a cancelled timer, and does not move time for it', async () => {
    const clock = new IdleClock()
    const fired: string[] = []
    const cancel = clock.after(50, () => { fired.push('cancelled') })
    clock.after(20, () => { fired.push('kept') })
    cancel()
    assert.equal(clock.pending, 1)
    await drained(clock)
    assert.deepEqual(fired, ['kept'])
    assert.equal(clock.now(), 20)
  })

  it('lets an awaited event win over a deadline that only a busy machine would have reached', async () => {
    // The attacker's wait in miniature: a model arrives after slow work, a deadline of 1 ms guards it.
    const clock = new IdleClock()
    let outcome = ''
    clock.after(1, () => { outcome ||= 'deadline' })
    setImmediate(() => {
      busy(20)
      setImmediate(() => { outcome ||= 'arrived' })
    })
    await drained(clock)
    assert.equal(outcome, 'arrived')
  })
})
