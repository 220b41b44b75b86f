import { open, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { ConfigError } from '../errors/index.ts'

/** File name of the node's libp2p private key inside the data directory. */
export const IDENTITY_FILE = 'identity.key'

/**
 * Create a new Ed25519 identity in `dataDir`. The file is created with mode 0600 in the same
 * call that creates it, so the key is never readable by others, not even briefly.
 * @throws ConfigError when an identity already exists (it is never overwritten).
 */
export async function createIdentity (dataDir: string): Promise<PrivateKey> {
  const path = join(dataDir, IDENTITY_FILE)
  const key = await generateKeyPair('Ed25519')
  let file
  try {
    file = await open(path, 'wx', 0o600)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ConfigError('dataDir', `${path} already exists: refusing to overwrite a node identity`)
    }
    throw err
  }
  try {
    await file.writeFile(privateKeyToProtobuf(key))
    await file.sync()
  } finally {
    await file.close()
  }
  return key
}

/**
 * Load the identity from `dataDir`.
 * @throws ConfigError when the file is missing, readable by others, or not a key.
 */
export async function loadIdentity (dataDir: string): Promise<PrivateKey> {
  const path = join(dataDir, IDENTITY_FILE)
  let bytes: Buffer
  try {
    if (((await stat(path)).mode & 0o077) !== 0) {
      throw new ConfigError('dataDir', `${path} is readable by other users: run chmod 600 ${path}`)
    }
    bytes = await readFile(path)
  } catch (err) {
    if (err instanceof ConfigError) throw err
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ConfigError('dataDir', `${path} not found: run meshtrain init --data-dir ${dataDir} first`)
    throw err
  }
  try {
    return privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw new ConfigError('dataDir', `${path} is not a libp2p private key`, { cause: err })
  }
}
