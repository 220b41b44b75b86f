import assert from 'node:assert/strict'
import { join } from 'node:path'
import { DEFAULT_MANIFEST } from '../../src/protocol/index.ts'
import { createRng } from '../../src/model/index.ts'
import { DaemonProcess, runCli, tempDir, writeManifest } from './daemon-fixture.ts'

/**
 * Crash safety of the ledger with a real daemon: a lone node (quorum 0, rule mean, so rounds close
 * as soon as it has trained) is killed with SIGKILL at seeded random moments, restarted each time,
 * and afterwards its ledger verifies and its rounds carry on from its checkpoint.
 */
describe('the audit ledger across SIGKILLs', function () {
  this.timeout(600_000)
  const KILLS = 10

  it('verifies and resumes after a node is killed mid-round again and again', async () => {
    const temp = await tempDir()
    const daemons: DaemonProcess[] = []
    try {
      const manifest = { ...DEFAULT_MANIFEST, aggregation: { rule: 'mean' }, rounds: { quorum: 0, deadlineMs: 200, window: 2 } }
      const dataDir = join(temp.path, 'node')
      const init = await runCli(['init', '--data-dir', dataDir, '--manifest', await writeManifest(temp.path, manifest)])
      assert.equal(init.code, 0, init.stderr)
      const rng = createRng(13)
      let lastRound = -1
      for (let kill = 0; kill <= KILLS; kill++) {
        const daemon = new DaemonProcess(dataDir, [], ['--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns'])
        daemons.push(daemon)
        const resumedFrom = lastRound
        await daemon.waitFor(() => daemon.lastRound > resumedFrom, `a round after round ${resumedFrom}`, 60_000)
        // Rounds resume after the last checkpointed one: never a round skipped, never one before it.
        assert.ok((daemon.rounds[0]?.round ?? -1) <= resumedFrom + 1, `resumed at ${daemon.rounds[0]?.round} after ${resumedFrom}`)
        if (kill === KILLS) break
        // Somewhere in the middle of a round (a round takes a few hundred ms here).
        await new Promise(resolve => setTimeout(resolve, Math.floor(rng.next() * 400)))
        daemon.child.kill('SIGKILL')
        await daemon.exited
        lastRound = daemon.lastRound
      }
      const last = daemons.at(-1) as DaemonProcess
      last.child.kill('SIGTERM')
      assert.equal(await last.exited, 0, last.stderr)
      const verified = await runCli(['ledger', 'verify', '--data-dir', dataDir])
      assert.equal(verified.code, 0, verified.stderr)
      const rounds = last.lastRound + 1
      assert.ok(rounds >= KILLS + 1, `${rounds} rounds`)
      // Every round the node finished was recorded: the last one's aggregate reproduces.
      const reproduced = await runCli(['ledger', 'reproduce', '--data-dir', dataDir, '--round', String(last.lastRound)])
      assert.equal(reproduced.code, 0, reproduced.stderr)
    } finally {
      for (const d of daemons) d.stop()
      await temp.remove()
    }
  })
})
