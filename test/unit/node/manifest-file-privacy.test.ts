import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readManifestFile } from '../../../src/node/index.ts'
import { DEFAULT_MANIFEST, ManifestError, networkId } from '../../../src/protocol/index.ts'

describe('node: a manifest file with privacy', () => {
  let dir = ''
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'meshtrain-privacy-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  const write = async (name: string, privacy: unknown): Promise<string> => {
    const path = join(dir, name)
    await writeFile(path, JSON.stringify({ ...DEFAULT_MANIFEST, privacy }))
    return path
  }

  it('reads privacy off as the same network', async () => {
    assert.equal(networkId(await readManifestFile(await write('off.json', { mode: 'off' }))), networkId(DEFAULT_MANIFEST))
  })

  it('reads privacy on as part of the network id', async () => {
    const privacy = { mode: 'dp-sgd', epsilonBudget: 4, delta: 1e-5, clipNorm: 1, noiseMultiplier: 1.1 }
    const manifest = await readManifestFile(await write('dp.json', privacy))
    assert.deepEqual(manifest.privacy, { ...privacy, onBudgetExhausted: 'stop' })
    assert.notEqual(networkId(manifest), networkId(DEFAULT_MANIFEST))
  })

  it('names the file and the setting of a bad privacy setting (exit 2)', async () => {
    const path = await write('bad.json', { mode: 'dp-sgd', epsilonBudget: -4, delta: 1e-5, clipNorm: 1, noiseMultiplier: 1.1 })
    await assert.rejects(readManifestFile(path), (err: unknown) =>
      err instanceof ManifestError && err.setting === 'privacy.epsilonBudget' && err.exitStatus === 2 && err.message.includes(path))
  })
})
