import { randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigError } from '../errors/index.ts'

/** The bearer token's file in the data directory, mode 0600. */
export const API_TOKEN_FILE = 'api-token'

/** Random bytes in a new token (256 bits, hex-encoded). */
export const API_TOKEN_BYTES = 32

/** Longest token file read (a token plus a newline, with room for a longer operator-made one). */
export const MAX_API_TOKEN_FILE_BYTES = 1024

/** Shortest token accepted from the file: shorter ones are guessable. */
export const MIN_API_TOKEN_LENGTH = 16

/**
 * The API token of `dataDir`, or undefined when the file does not exist.
 * @throws ConfigError when the file is readable by other users, too large, or too short.
 */
export async function readApiToken (dataDir: string): Promise<string | undefined> {
  const path = join(dataDir, API_TOKEN_FILE)
  let info
  try {
    info = await stat(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new ConfigError('api', `cannot read ${path}: ${(err as Error).message}`, { cause: err })
  }
  if ((info.mode & 0o077) !== 0) throw new ConfigError('api', `${path} is readable by other users: run chmod 600 ${path}`)
  if (info.size > MAX_API_TOKEN_FILE_BYTES) throw new ConfigError('api', `${path} is not an API token: larger than ${MAX_API_TOKEN_FILE_BYTES} bytes`)
  const token = (await readFile(path, 'utf8')).trim()
  if (token.length < MIN_API_TOKEN_LENGTH || /\s/.test(token)) {
    throw new ConfigError('api', `${path} is not an API token: expected one word of at least ${MIN_API_TOKEN_LENGTH} characters`)
  }
  return token
}

/**
 * Create `<dataDir>/api-token` (mode 0600, 256 random bits in hex) unless it exists; returns
 * whether it was created. The token itself is never printed.
 */
export async function createApiToken (dataDir: string): Promise<{ path: string, created: boolean }> {
  const path = join(dataDir, API_TOKEN_FILE)
  try {
    await writeFile(path, randomBytes(API_TOKEN_BYTES).toString('hex') + '\n', { flag: 'wx', mode: 0o600 })
    return { path, created: true }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { path, created: false }
    throw new ConfigError('dataDir', `cannot write ${path}: ${(err as Error).message}`, { cause: err })
  }
}

/** `Authorization: Bearer <token>` checked in constant time. */
export function bearerMatches (header: string | undefined, token: string): boolean {
  const m = /^Bearer ([^\s]+)$/.exec(header ?? '')
  if (m === null) return false
  const given = Buffer.from(m[1] as string)
  const expected = Buffer.from(token)
  return given.length === expected.length && timingSafeEqual(given, expected)
}
