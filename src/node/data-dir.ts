import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ManifestError, parseManifest } from '../protocol/index.ts'
import type { NetworkManifest } from '../protocol/index.ts'
import { ConfigError } from '../errors/index.ts'
import { createIdentity } from './identity.ts'
import type { PrivateKey } from '@libp2p/interface'

/** The files of a node's data directory (docs/design.md, "Node state on disk"). */
export function dataDirPaths (dataDir: string): { config: string, manifest: string, checkpoints: string } {
  return {
    config: join(dataDir, 'config.json'),
    manifest: join(dataDir, 'manifest.json'),
    checkpoints: join(dataDir, 'checkpoints')
  }
}

/**
 * Create a node's data directory: a new identity (mode 0600), config.json with the given settings,
 * and the network manifest.
 * @throws ConfigError when the directory already holds an identity.
 */
export async function initDataDir (dataDir: string, settings: Readonly<Record<string, unknown>>, manifest: NetworkManifest): Promise<PrivateKey> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const key = await createIdentity(dataDir)
  const paths = dataDirPaths(dataDir)
  await writeFile(paths.config, JSON.stringify(settings, null, 2) + '\n', { flag: 'wx' }).catch(ignoreExisting)
  await writeFile(paths.manifest, JSON.stringify(manifest, null, 2) + '\n', { flag: 'wx' }).catch(ignoreExisting)
  return key
}

/** config.json as parsed JSON; undefined when the file does not exist. */
export async function readConfigFile (dataDir: string): Promise<unknown> {
  const path = dataDirPaths(dataDir).config
  return readJson(path, 'config.json', true)
}

/**
 * The manifest of `dataDir`, validated.
 * @throws ConfigError when missing or not JSON; ManifestError naming the bad setting.
 */
export async function readManifestFile (path: string): Promise<NetworkManifest> {
  const json = await readJson(path, 'manifest', false)
  try {
    return parseManifest(json)
  } catch (err) {
    if (err instanceof ManifestError) throw new ManifestError(err.setting, err.reason, path)
    throw err
  }
}

async function readJson (path: string, setting: string, optional: boolean): Promise<unknown> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      if (optional) return undefined
      throw new ConfigError(setting, `${path} not found`)
    }
    throw err
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new ConfigError(setting, `${path} is not valid JSON: ${(err as Error).message}`)
  }
}

function ignoreExisting (err: NodeJS.ErrnoException): void {
  if (err.code !== 'EEXIST') throw err
}
