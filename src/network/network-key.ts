import { createHash } from 'node:crypto'
import { open, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKey } from '@libp2p/pnet'
import { ConfigError } from '../errors/index.ts'

/**
 * The pre-shared key of a closed network (`@libp2p/pnet`): every connection is encrypted with it
 * before any libp2p handshake, so a node without it cannot even complete the Noise handshake.
 * The file is the go-ipfs/libp2p "swarm.key" format, the same on every member.
 */

/** File name of the network key inside the data directory. */
export const NETWORK_KEY_FILE = 'network.key'

/** Length of the key in a key file, hex digits: 32 bytes. */
export const NETWORK_KEY_HEX_DIGITS = 64

/** Length of a key fingerprint, hex digits (the first 8 bytes of a SHA-256). */
export const KEY_FINGERPRINT_HEX_DIGITS = 16

/** Largest key file read, bytes: a key file is under 100, so anything bigger is refused unread. */
export const MAX_NETWORK_KEY_FILE_READ_BYTES = 1024

/** The go-ipfs/libp2p swarm key header, then 32 bytes in hex. */
const KEY_HEADER = '/key/swarm/psk/1.0.0/\n/base16/\n'
const KEY_PATTERN = new RegExp(`^\\/key\\/swarm\\/psk\\/1\\.0\\.0\\/\\r?\\n\\/base16\\/\\r?\\n([0-9a-fA-F]{${NETWORK_KEY_HEX_DIGITS}})\\s*$`)

/** Size of a generated key file, bytes: the header plus {@link NETWORK_KEY_HEX_DIGITS} hex digits. */
export const NETWORK_KEY_FILE_BYTES = KEY_HEADER.length + NETWORK_KEY_HEX_DIGITS

/** A loaded network key: the bytes pnet takes, and a fingerprint that is safe to print. */
export interface NetworkKey {
  /** The key file's bytes, as `preSharedKey({ psk })` takes them. Never log these. */
  readonly psk: Uint8Array
  /** First {@link KEY_FINGERPRINT_HEX_DIGITS} (16) hex digits of SHA-256 over a domain tag and the 32 key bytes: tells keys apart, reveals nothing. */
  readonly fingerprint: string
}

/**
 * Parse and check the bytes of a key file.
 * @throws ConfigError naming the file when it is not a swarm key (the message never quotes the file).
 */
export function parseNetworkKey (bytes: Uint8Array, path: string): NetworkKey {
  const match = KEY_PATTERN.exec(new TextDecoder().decode(bytes))
  if (match === null) {
    throw new ConfigError('networkKey', `${path} is not a network key: expected "/key/swarm/psk/1.0.0/", "/base16/" and ${NETWORK_KEY_HEX_DIGITS} hex digits on three lines (make one with meshtrain init --closed)`)
  }
  const secret = Buffer.from(match[1] as string, 'hex')
  return { psk: new TextEncoder().encode(KEY_HEADER + (match[1] as string).toLowerCase()), fingerprint: keyFingerprint(secret) }
}

/** See {@link NetworkKey.fingerprint}. */
export function keyFingerprint (secret: Uint8Array): string {
  return createHash('sha256').update('meshtrain network key fingerprint\n').update(secret).digest('hex').slice(0, KEY_FINGERPRINT_HEX_DIGITS)
}

/**
 * Write a new random key, or a copy of `importFrom`, to `<dataDir>/network.key` with mode 0600,
 * created exclusively (never overwritten).
 * @throws ConfigError when the file exists or `importFrom` is not a network key.
 */
export async function createNetworkKey (dataDir: string, importFrom?: string): Promise<NetworkKey> {
  let bytes: Uint8Array
  if (importFrom === undefined) {
    bytes = new Uint8Array(NETWORK_KEY_FILE_BYTES)
    generateKey(bytes)
  } else {
    bytes = await readKeyFile(importFrom, 'networkKey')
  }
  const key = parseNetworkKey(bytes, importFrom ?? 'the generated key')
  const path = join(dataDir, NETWORK_KEY_FILE)
  let file
  try {
    file = await open(path, 'wx', 0o600)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new ConfigError('networkKey', `${path} already exists: refusing to overwrite a network key`)
    throw err
  }
  try {
    await file.writeFile(key.psk)
    await file.sync()
  } finally {
    await file.close()
  }
  return key
}

/**
 * The data directory's network key, or undefined when it has none (an open network).
 * @throws ConfigError when the file is readable by others or not a key.
 */
export async function loadNetworkKey (dataDir: string): Promise<NetworkKey | undefined> {
  const path = join(dataDir, NETWORK_KEY_FILE)
  let mode: number
  try {
    mode = (await stat(path)).mode
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  if ((mode & 0o077) !== 0) throw new ConfigError('networkKey', `${path} is readable by other users: run chmod 600 ${path}`)
  return parseNetworkKey(await readKeyFile(path, 'networkKey'), path)
}

/**
 * Read and check a key file to import, without writing anything.
 * @throws ConfigError when it is missing or not a network key.
 */
export async function readNetworkKeyFile (path: string): Promise<NetworkKey> {
  return parseNetworkKey(await readKeyFile(path, 'networkKey'), path)
}

async function readKeyFile (path: string, setting: string): Promise<Uint8Array> {
  try {
    // A key file is under 100 bytes; refuse to read anything big into memory.
    if ((await stat(path)).size > MAX_NETWORK_KEY_FILE_READ_BYTES) throw new ConfigError(setting, `${path} is not a network key: too large`)
    return await readFile(path)
  } catch (err) {
    if (err instanceof ConfigError) throw err
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ConfigError(setting, `${path} not found`)
    throw err
  }
}
