import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadCheckpoint, saveCheckpoint } from '../../../src/node/index.ts'
import { encodeModelPayload, payloadHash } from '../../../src/protocol/index.ts'

const NETWORK = 'ab'.repeat(16)

describe('checkpoint: the manifest version its model was trained under', () => {
  let dir = ''
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'meshtrain-ckpt-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('is saved and read back; absent means the genesis (0)', async () => {
    const weights = Float32Array.of(1, 2, 3)
    await saveCheckpoint(dir, { networkId: NETWORK, round: 41, weights, manifestVersion: 3 })
    const loaded = await loadCheckpoint(dir, NETWORK, 3)
    assert.deepEqual([loaded?.round, loaded?.manifestVersion, [...loaded?.weights ?? []]], [41, 3, [1, 2, 3]])
    await saveCheckpoint(dir, { networkId: NETWORK, round: 42, weights })
    assert.equal((await loadCheckpoint(dir, NETWORK, 3))?.manifestVersion, 0)
  })

  it('a checkpoint written before manifest versions existed is read as trained under the genesis', async () => {
    const payload = encodeModelPayload(Float32Array.of(1, 2, 3))
    const header = Buffer.from(JSON.stringify({ networkId: NETWORK, round: 7, parameters: 3, sha256: payloadHash(payload) }))
    const length = Buffer.alloc(4)
    length.writeUInt32LE(header.length)
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'latest.ckpt'), Buffer.concat([length, header, payload]))
    const loaded = await loadCheckpoint(dir, NETWORK, 3)
    assert.deepEqual([loaded?.round, loaded?.manifestVersion], [7, 0])
  })
})
