import assert from 'node:assert/strict'
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, EXIT_STATUS } from '../../../src/errors/index.ts'
import { DataDirLockedError, LOCK_FILE, lockDataDir } from '../../../src/node/index.ts'

/** Beyond any pid_max (2^22 on Linux): no such process. */
const DEAD_PID = 2 ** 31 - 2

describe('data directory lock', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'meshtrain-lock-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('writes our pid to <dir>/lock and removes it on release, leaving nothing else', async () => {
    const lock = await lockDataDir(dir)
    assert.equal(await readFile(join(dir, LOCK_FILE), 'utf8'), `${process.pid}\n`)
    await lock.release()
    await lock.release()
    assert.deepEqual(await readdir(dir), [])
  })

  it('refuses a directory locked by a live process (exit 2), naming its pid', async () => {
    const holder = process.ppid
    await writeFile(join(dir, LOCK_FILE), `${holder}\n`)
    const err = await lockDataDir(dir).then(() => undefined, (e: unknown) => e)
    assert.ok(err instanceof DataDirLockedError)
    assert.equal(err.exitStatus, EXIT_STATUS.badInput)
    assert.equal(err.holder, holder)
    assert.match(err.message, new RegExp(`in use by process ${holder}; stop that node first`))
    assert.equal(await readFile(join(dir, LOCK_FILE), 'utf8'), `${holder}\n`, 'the holder keeps its lock')
  })

  for (const [what, content] of [['a dead pid', `${DEAD_PID}\n`], ['no pid at all', 'garbage'], ['an empty file', '']] as const) {
    it(`takes over a stale lock holding ${what}`, async () => {
      await writeFile(join(dir, LOCK_FILE), content)
      const lock = await lockDataDir(dir)
      assert.equal(await readFile(join(dir, LOCK_FILE), 'utf8'), `${process.pid}\n`)
      await lock.release()
      assert.deepEqual(await readdir(dir), [])
    })
  }

  it('does not remove a lock on release that another process has taken since', async () => {
    const lock = await lockDataDir(dir)
    await writeFile(join(dir, LOCK_FILE), `${process.ppid}\n`)
    await lock.release()
    assert.equal(await readFile(join(dir, LOCK_FILE), 'utf8'), `${process.ppid}\n`)
  })

  it('a data directory that does not exist is a ConfigError naming dataDir', async () => {
    await assert.rejects(lockDataDir(join(dir, 'missing')), (e: unknown) => e instanceof ConfigError && e.setting === 'dataDir' && /not found; create it with meshtrain init/.test(e.message))
  })
})
