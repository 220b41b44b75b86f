import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EXIT_STATUS } from '../../../src/errors/index.ts'
import { CheckpointError, CheckpointWriteError, MAX_CHECKPOINT_ROUND, loadCheckpoint, saveCheckpoint, saveCheckpointOrWarn } from '../../../src/node/index.ts'
import type { Logger } from '../../../src/round/index.ts'

const NETWORK = '0123456789abcdef0123456789abcdef'

describe('checkpoint', () => {
  let root: string
  beforeEach(async () => { root = await mkdtemp(join(tmpdir(), 'meshtrain-ckpt-')) })
  afterEach(async () => { await rm(root, { recursive: true, force: true }) })

  it('round-trips weights and round; no checkpoint is undefined', async () => {
    const dir = join(root, 'checkpoints')
    assert.equal(await loadCheckpoint(dir, NETWORK, 3), undefined)
    await saveCheckpoint(dir, { networkId: NETWORK, round: 7, weights: new Float32Array([1, -2, 0.5]) })
    const back = await loadCheckpoint(dir, NETWORK, 3)
    assert.equal(back?.round, 7)
    assert.deepEqual([...back?.weights ?? []], [1, -2, 0.5])
    assert.deepEqual(await readdir(dir), ['latest.ckpt'])
  })

  for (const round of [-1, 2 ** 53 - 1, MAX_CHECKPOINT_ROUND + 1, 1.5]) {
    it(`refuses a checkpoint of round ${round} as bad input naming the round`, async () => {
      const dir = join(root, 'checkpoints')
      await saveCheckpoint(dir, { networkId: NETWORK, round, weights: new Float32Array(2) })
      const err = await loadCheckpoint(dir, NETWORK, 2).then(() => undefined, (e: unknown) => e)
      assert.ok(err instanceof CheckpointError)
      assert.equal(err.exitStatus, EXIT_STATUS.badInput)
      assert.match(err.message, new RegExp(`round ${round} is not an integer from 0 to ${MAX_CHECKPOINT_ROUND}`))
    })
  }

  it('the largest round is accepted', async () => {
    const dir = join(root, 'checkpoints')
    await saveCheckpoint(dir, { networkId: NETWORK, round: MAX_CHECKPOINT_ROUND, weights: new Float32Array(2) })
    assert.equal((await loadCheckpoint(dir, NETWORK, 2))?.round, MAX_CHECKPOINT_ROUND)
  })

  it('a checkpoint path that is a directory, or a checkpoints directory that is a file, is a CheckpointError', async () => {
    const dir = join(root, 'checkpoints')
    await mkdir(join(dir, 'latest.ckpt'), { recursive: true })
    await assert.rejects(loadCheckpoint(dir, NETWORK, 2), (e: unknown) => e instanceof CheckpointError && /latest\.ckpt is a directory/.test(e.message))
    const file = join(root, 'file')
    await writeFile(file, 'x')
    await assert.rejects(loadCheckpoint(file, NETWORK, 2), (e: unknown) => e instanceof CheckpointError && /is not a directory/.test(e.message))
  })

  it('a failed write leaves no temporary file and the last good checkpoint; saveCheckpointOrWarn warns and carries on', async () => {
    const dir = join(root, 'checkpoints')
    await saveCheckpoint(dir, { networkId: NETWORK, round: 1, weights: new Float32Array([1, 2]) })
    // A directory where the temporary file goes makes the write fail the way a full disk does.
    await mkdir(join(dir, `latest.ckpt.${process.pid}.tmp`))
    const err = await saveCheckpoint(dir, { networkId: NETWORK, round: 2, weights: new Float32Array([3, 4]) }).then(() => undefined, (e: unknown) => e)
    assert.ok(err instanceof CheckpointWriteError)
    assert.equal(err.exitStatus, EXIT_STATUS.failure)
    const warnings: string[] = []
    const log: Logger = { info: () => {}, debug: () => {}, warn: (m: string) => { warnings.push(m) } }
    assert.equal(await saveCheckpointOrWarn(dir, { networkId: NETWORK, round: 2, weights: new Float32Array([3, 4]) }, log), false)
    assert.equal(warnings.length, 1)
    assert.match(warnings[0] ?? '', /cannot write checkpoint of round 2 .*keeping the last good checkpoint/)
    assert.equal((await loadCheckpoint(dir, NETWORK, 2))?.round, 1)
    await rm(join(dir, `latest.ckpt.${process.pid}.tmp`), { recursive: true })
    assert.equal(await saveCheckpointOrWarn(dir, { networkId: NETWORK, round: 3, weights: new Float32Array([5, 6]) }, log), true)
    assert.equal((await loadCheckpoint(dir, NETWORK, 2))?.round, 3)
    assert.deepEqual(await readdir(dir), ['latest.ckpt'])
  })
})
