import { mkdir, open, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'

/**
 * Replace `path` with `bytes` so that a crash at any moment leaves the old file or the new one,
 * never a mix: write a temporary file beside it (mode 0600), fsync it, rename it over `path`,
 * fsync the directory. A failure (a full disk, say) removes the temporary file and rethrows, so
 * no partial file is left behind on every attempt.
 * @throws the file system's error (its `code`, e.g. `ENOSPC`, is kept).
 */
export async function writeFileAtomically (path: string, bytes: Uint8Array | string): Promise<void> {
  const dir = dirname(path)
  const temp = `${path}.${process.pid}.tmp`
  try {
    await mkdir(dir, { recursive: true })
    const file = await open(temp, 'w', 0o600)
    try {
      await file.writeFile(bytes)
      await file.sync()
    } finally {
      await file.close()
    }
    await rename(temp, path)
    const directory = await open(dir, 'r')
    try {
      await directory.sync()
    } finally {
      await directory.close()
    }
  } catch (err) {
    await rm(temp, { force: true }).catch(() => undefined)
    throw err
  }
}
