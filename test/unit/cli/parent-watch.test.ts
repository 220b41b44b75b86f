import assert from 'node:assert/strict'
import { launcherPids, watchProcesses } from '../../../src/cli/parent-watch.ts'

/** Beyond any pid_max (2^22 on Linux): no such process. */
const DEAD_PID = 2 ** 31 - 2

describe('cli/parent watch', () => {
  it('watches nothing when not started by npm or npx', () => {
    assert.deepEqual(launcherPids({}), [])
  })

  it('under npm (npm_command set) watches the chain of ancestors from the parent up', () => {
    const pids = launcherPids({ npm_command: 'start' })
    assert.ok(pids.length >= 1 && pids.length <= 4, String(pids))
    assert.equal(pids[0], process.ppid)
  })

  it('reports a process that is gone at once, and only once', () => {
    const gone: number[] = []
    const stop = watchProcesses([process.pid, DEAD_PID], pid => { gone.push(pid) })
    stop()
    assert.deepEqual(gone, [DEAD_PID])
  })

  it('says nothing while every watched process lives', () => {
    const gone: number[] = []
    const stop = watchProcesses([process.pid, process.ppid], pid => { gone.push(pid) })
    stop()
    assert.deepEqual(gone, [])
  })
})
