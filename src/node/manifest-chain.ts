import { mkdir, open, readFile, readdir, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { ManifestVersionError, decodeManifestVersionBytes, offerVersion, verifyChain } from '../protocol/index.ts'
import type { ManifestState, ManifestVersion, NetworkManifest } from '../protocol/index.ts'
import { MeshtrainError } from '../errors/index.ts'
import { aggregatorFor } from './preconditions.ts'

/** Directory of a node's adopted manifest versions, one file per version: `<n>.json`. */
export const MANIFESTS_DIR = 'manifests'

/** The adopted chain of a data directory: the genesis's state first, then one per version file. */
export interface ManifestChain {
  readonly states: readonly ManifestState[]
  /** The latest adopted state, the one the node runs under. */
  readonly current: ManifestState
  /** The signed versions 1..n, as stored (served to peers that are behind). */
  readonly versions: readonly ManifestVersion[]
}

/**
 * Read and verify `<data-dir>/manifests/` against the genesis (`manifest.json`): versions 1..n
 * with no gap, each signed by enough admins of the one before. Checked again at every start.
 * @throws ManifestVersionError naming the file and the check that refused it.
 */
export async function loadManifestChain (dataDir: string, genesis: NetworkManifest): Promise<ManifestChain> {
  const dir = join(dataDir, MANIFESTS_DIR)
  const numbers = await versionNumbers(dir)
  const versions: ManifestVersion[] = []
  for (const [i, n] of numbers.entries()) {
    const path = join(dir, `${n}.json`)
    if (n !== i + 1) throw new ManifestVersionError('wrong-number', `${dir} holds version ${n} but not version ${i + 1}`)
    versions.push(await readVersionFile(path))
  }
  let states: ManifestState[]
  try {
    states = await verifyChain(genesis, versions)
    for (const state of states.slice(1)) checkRunnable(state)
  } catch (err) {
    if (err instanceof ManifestVersionError) throw new ManifestVersionError(err.reason, `${dir}: ${err.message.replace(/^manifest version: /, '')}`, { cause: err })
    throw err
  }
  return { states, current: states.at(-1) as ManifestState, versions }
}

/**
 * Offer `version` to the chain; when it extends it, store it as `<n>.json` (written atomically).
 * @returns the chain after it (the same chain when the version was already held).
 * @throws ManifestVersionError when refused; ManifestEquivocationError for a rival version.
 */
export async function adoptVersion (dataDir: string, chain: ManifestChain, version: ManifestVersion): Promise<ManifestChain> {
  const state = await offerVersion(chain.states, version)
  if (state === undefined) return chain
  checkRunnable(state)
  await writeVersionFile(dataDir, version)
  const states = [...chain.states, state]
  return { states, current: state, versions: [...chain.versions, version] }
}

/**
 * Read a version file (one made by `manifest propose`, `manifest sign` or a store).
 * @throws ManifestVersionError `malformed` naming the path.
 */
export async function readVersionFile (path: string): Promise<ManifestVersion> {
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (err) {
    throw new ManifestVersionError('malformed', `${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err })
  }
  try {
    return decodeManifestVersionBytes(bytes)
  } catch (err) {
    if (err instanceof ManifestVersionError) throw new ManifestVersionError(err.reason, `${path}: ${err.message.replace(/^manifest version: /, '')}`, { cause: err })
    throw err
  }
}

/** Write a version as indented JSON to `path`, atomically (temporary file, fsync, rename). */
export async function writeJsonAtomically (path: string, value: unknown): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`
  const file = await open(temp, 'w', 0o644)
  try {
    await file.writeFile(JSON.stringify(value, null, 2) + '\n')
    await file.sync()
  } finally {
    await file.close()
  }
  await rename(temp, path)
}

/**
 * A version whose signatures hold may still name a rule its network cannot run (an unknown rule,
 * f too large for the quorum or the members): adopting it would stop every node at its next start.
 * @throws ManifestVersionError `bad-change` with the reason.
 */
function checkRunnable (state: ManifestState): void {
  try {
    aggregatorFor(state.manifest)
  } catch (err) {
    if (err instanceof MeshtrainError) throw new ManifestVersionError('bad-change', `version ${state.version}: ${err.message.replace(/^manifest: /, '')}`, { cause: err })
    throw err
  }
}

/** A short name for a version in logs: `version 2 (3f9c0e1a5b7d)`. */
export function versionName (state: ManifestState): string {
  return `version ${state.version} (${state.hash.slice(0, 12)})`
}

async function writeVersionFile (dataDir: string, version: ManifestVersion): Promise<void> {
  const dir = join(dataDir, MANIFESTS_DIR)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await writeJsonAtomically(join(dir, `${version.version}.json`), version)
}

async function versionNumbers (dir: string): Promise<number[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  return names.filter(n => /^[1-9]\d{0,6}\.json$/.test(n)).map(n => Number(n.slice(0, -5))).sort((a, b) => a - b)
}
