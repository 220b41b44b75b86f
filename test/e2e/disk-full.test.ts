import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { closeSync, mkdirSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { initDataDir, loadCheckpoint } from '../../src/node/index.ts'
import { DEFAULT_MANIFEST, networkId, parameterCount } from '../../src/protocol/index.ts'
import type { NetworkManifest } from '../../src/protocol/index.ts'
import { DaemonProcess, tempDir } from './daemon-fixture.ts'

/** A lone node that closes a round every few hundred ms: the mean of its own model, no quorum. */
const LONE: NetworkManifest = {
  ...DEFAULT_MANIFEST,
  name: 'meshtrain-disk-full',
  training: { ...DEFAULT_MANIFEST.training, localSteps: 5 },
  aggregation: { rule: 'mean' },
  rounds: { quorum: 0, deadlineMs: 100, window: 2 }
}

/** Room on the tmpfs: a checkpoint of the default model is about 200 KB. */
const TMPFS_SIZE = '1m'

/** Temporary files (of the checkpoint or the announcement journal) in `dir`. */
function temporaryFiles (dir: string): string[] {
  return readdirSync(dir).filter(f => f.endsWith('.tmp'))
}

/**
 * Fill the file system holding `dir` with one file, appended to until the disk refuses (the
 * daemon writes there at the same time, so the file never shrinks again); returns its path.
 */
function fill (dir: string): string {
  const path = join(dir, 'filler')
  const chunk = Buffer.alloc(16 * 1024, 1)
  const fd = openSync(path, 'w')
  try {
    for (;;) writeSync(fd, chunk)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
  } finally {
    closeSync(fd)
  }
  return path
}

describe('disk full: checkpoints on a full tmpfs', function () {
  this.timeout(180_000)
  let scratch: { path: string, remove: () => Promise<void> }
  let mounted: string | undefined
  let daemon: DaemonProcess | undefined

  before(async function () {
    scratch = await tempDir()
    const checkpoints = join(scratch.path, 'node', 'checkpoints')
    mkdirSync(checkpoints, { recursive: true })
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE}`, 'tmpfs', checkpoints], { stdio: 'pipe' })
      mounted = checkpoints
    } catch (err) {
      console.log(`      skipped: cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]})`)
      this.skip()
    }
  })

  after(async () => {
    daemon?.stop()
    await daemon?.exited
    if (mounted !== undefined) execFileSync('umount', ['-l', mounted])
    await scratch.remove()
  })

  it('warns, leaves no temporary file, keeps the last good checkpoint, trains on and checkpoints again once there is room', async () => {
    const dataDir = join(scratch.path, 'node')
    const checkpoints = mounted as string
    await initDataDir(dataDir, { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false }, LONE)
    const id = networkId(LONE)
    const parameters = parameterCount(LONE.model)
    const node = new DaemonProcess(dataDir)
    daemon = node
    await node.waitFor(() => node.lastRound >= 1, 'two rounds on an empty disk')

    const filler = fill(checkpoints)
    const fullFrom = node.lastRound + 1
    await node.waitFor(() => /cannot write checkpoint.*no space left on device/.test(node.stderr) && node.lastRound >= fullFrom + 3, 'a warning and three more rounds on a full disk')
    const kept = await loadCheckpoint(checkpoints, id, parameters)
    assert.ok(kept !== undefined && kept.round < node.lastRound, `the last good checkpoint stays (round ${kept?.round}, now at ${node.lastRound})`)
    // A failing write may hold its temporary file for a moment; a leaked one would stay for good.
    await node.waitFor(() => temporaryFiles(checkpoints).length === 0, 'no temporary file left behind', 5000)
    assert.ok(readdirSync(checkpoints).includes('latest.ckpt'))
    const warning = node.stderr.split('\n').find(l => /cannot write checkpoint/.test(l)) ?? ''
    // The daemon's stderr is not a terminal: its log lines are pino JSON objects.
    const line = JSON.parse(warning) as { level: number, msg: string }
    assert.equal(line.level, 40, 'a warning')
    assert.match(line.msg, /^cannot write checkpoint of round \d+ in .*checkpoints: no space left on device; keeping the last good checkpoint/)
    assert.equal(node.child.exitCode, null, 'still running')

    rmSync(filler)
    const freedAt = node.lastRound
    await node.waitFor(() => node.lastRound >= freedAt + 2, 'rounds after the disk has room again')
    const again = await loadCheckpoint(checkpoints, id, parameters)
    assert.ok(again !== undefined && again.round > freedAt, `checkpointing again (round ${again?.round} > ${freedAt})`)
    await node.waitFor(() => temporaryFiles(checkpoints).length === 0, 'no temporary file left behind', 5000)

    node.child.kill('SIGTERM')
    assert.equal(await node.exited, 0, node.stderr.slice(-2000))
    assert.doesNotMatch(node.stderr, /ENOSPC|internal error|\n\s+at /)
  })
})
