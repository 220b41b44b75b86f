import { link, open, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigError, InputError } from '../errors/index.ts'

/** The lock file of a data directory: it holds the pid of the node using the directory. */
export const LOCK_FILE = 'lock'

/** Attempts at taking a stale lock over before giving up (another process is taking it at once). */
const TAKEOVER_ATTEMPTS = 5

/** The data directory is in use by another live process (exit 2: the input, the directory, is busy). */
export class DataDirLockedError extends InputError {
  /** The pid written in the lock file. */
  readonly holder: number
  constructor (path: string, holder: number) {
    super('data-dir-locked', `${path}: the data directory is in use by process ${holder}; stop that node first (or, if process ${holder} is not a meshtrain node, remove ${path})`)
    this.holder = holder
  }
}

/** A held lock on a data directory. */
export interface DataDirLock {
  readonly path: string
  /** Remove the lock file if it is still ours. Idempotent. */
  release (): Promise<void>
}

/**
 * Lock `dataDir` for this process: create `<dataDir>/lock` exclusively with our pid. A lock whose
 * process is gone (a node killed with SIGKILL, a crash) is stale and taken over; the take-over
 * renames the stale file away first, so of two processes taking it over at once one wins.
 * @throws DataDirLockedError naming the live holder's pid; ConfigError when `dataDir` does not exist.
 */
export async function lockDataDir (dataDir: string): Promise<DataDirLock> {
  const path = join(dataDir, LOCK_FILE)
  for (let attempt = 0; attempt < TAKEOVER_ATTEMPTS; attempt++) {
    if (await createExclusive(dataDir, path)) return heldLock(path)
    const holder = await readHolder(path)
    if (holder === undefined) continue // gone between our create and read: try again
    if (holder !== process.pid && isAlive(holder)) throw new DataDirLockedError(path, holder)
    await removeStale(path, holder)
  }
  throw new DataDirLockedError(path, (await readHolder(path)) ?? 0)
}

async function createExclusive (dataDir: string, path: string): Promise<boolean> {
  // Written to a private file first, then linked: the lock never exists without its pid in it.
  const temp = `${path}.${process.pid}.tmp`
  try {
    const file = await open(temp, 'w', 0o644)
    try {
      await file.writeFile(`${process.pid}\n`)
    } finally {
      await file.close()
    }
    await link(temp, path)
    return true
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return false
    if (code === 'ENOENT') throw new ConfigError('dataDir', `--data-dir: ${dataDir} not found; create it with meshtrain init --data-dir ${dataDir}`, { cause: err })
    if (code === 'ENOTDIR') throw new ConfigError('dataDir', `--data-dir: ${dataDir} is not a directory`, { cause: err })
    throw new ConfigError('dataDir', `--data-dir: cannot create ${path}: ${code ?? (err as Error).message}`, { cause: err })
  } finally {
    await rm(temp, { force: true }).catch(() => undefined)
  }
}

/** The pid in the lock file; 0 for a file without a pid; undefined when there is no file. */
async function readHolder (path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(path, 'utf8')).trim(), 10)
    return Number.isSafeInteger(pid) && pid > 0 ? pid : 0
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

/** Signal 0 checks that a process exists; EPERM means it exists under another user. */
function isAlive (pid: number): boolean {
  if (pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function removeStale (path: string, stalePid: number): Promise<void> {
  const moved = `${path}.stale.${process.pid}`
  try {
    await rename(path, moved)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return // someone else moved it
    throw err
  }
  const pid = await readHolder(moved)
  // Between our read and the rename another process may have taken the lock: give it back.
  if (pid !== undefined && pid !== stalePid && isAlive(pid)) await link(moved, path).catch(() => undefined)
  await rm(moved, { force: true })
}

function heldLock (path: string): DataDirLock {
  let released = false
  return {
    path,
    async release () {
      if (released) return
      released = true
      if ((await readHolder(path)) === process.pid) await rm(path, { force: true })
    }
  }
}
