import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { RuntimeFailure } from '../../../src/errors/index.ts'
import { MANIFESTS_DIR, adoptVersion, followChain, loadManifestChain } from '../../../src/node/index.ts'
import { DEFAULT_MANIFEST, ManifestEquivocationError, ManifestVersionError, parseManifest, proposeVersion, signVersion } from '../../../src/protocol/index.ts'
import type { ManifestVersion, NetworkManifest } from '../../../src/protocol/index.ts'

const keys = await Promise.all(Array.from({ length: 6 }, (_, i) => generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(i + 1))))
const ids = keys.map(k => peerIdFromPrivateKey(k).toString())
const genesis: NetworkManifest = parseManifest({ ...DEFAULT_MANIFEST, members: ids.slice(0, 4), admins: ids.slice(0, 3) })

async function signed (fields: Parameters<typeof signVersion>[0], signers: number[]): Promise<ManifestVersion> {
  let v = { ...fields, signatures: [] } as ManifestVersion
  for (const i of signers) v = await signVersion(v, keys[i] as never)
  return v
}

describe('manifest chain in the data directory', () => {
  let dir = ''
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'meshtrain-chain-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('an empty directory is the genesis; an adopted version is stored as 1.json and read back at the next start', async () => {
    const chain = await loadManifestChain(dir, genesis)
    assert.equal(chain.current.version, 0)
    const v1 = await signed(proposeVersion(chain.current, { members: [...ids.slice(0, 3), ids[4] as string] }, 3), [0, 1])
    const next = await adoptVersion(dir, chain, v1)
    assert.equal(next.current.version, 1)
    assert.deepEqual(await readdir(join(dir, MANIFESTS_DIR)), ['1.json'])
    const reread = await loadManifestChain(dir, genesis)
    assert.equal(reread.current.hash, next.current.hash)
    assert.deepEqual(reread.current.manifest.members, next.current.manifest.members)
    // Adopting it again changes nothing; a rival version 1 is evidence and is not stored.
    assert.equal(await adoptVersion(dir, reread, v1), reread)
    const rival = await signed(proposeVersion(chain.current, { members: ids.slice(0, 3) }, 3), [1, 2])
    await assert.rejects(adoptVersion(dir, reread, rival), ManifestEquivocationError)
    assert.deepEqual(await readdir(join(dir, MANIFESTS_DIR)), ['1.json'])
  })

  it('refuses at start a stored version with too few signatures, a gap, or a damaged file, naming the directory', async () => {
    const chain = await loadManifestChain(dir, genesis)
    const under = await signed(proposeVersion(chain.current, { threshold: 3 }, 0), [0])
    await adoptVersion(dir, chain, under).then(() => assert.fail('adopted'), (err: unknown) => assert.ok(err instanceof ManifestVersionError && err.reason === 'too-few-signatures'))
    // Written by hand, as a careless operator (or an attacker with the disk) might.
    await mkdir(join(dir, MANIFESTS_DIR))
    await writeFile(join(dir, MANIFESTS_DIR, '1.json'), JSON.stringify(under))
    await assert.rejects(loadManifestChain(dir, genesis), /manifests: version 1 has 1 valid admin signature, needs 2/)
    await rm(join(dir, MANIFESTS_DIR, '1.json'))
    await writeFile(join(dir, MANIFESTS_DIR, '2.json'), '{}')
    await assert.rejects(loadManifestChain(dir, genesis), /holds version 2 but not version 1/)
    await writeFile(join(dir, MANIFESTS_DIR, '1.json'), '{"kind":')
    await assert.rejects(loadManifestChain(dir, genesis), /1\.json: not UTF-8 JSON/)
  })

  it('refuses a well-signed version whose rule the network cannot run (it would stop every node at its next start)', async () => {
    const chain = await loadManifestChain(dir, genesis)
    const refused = async (changes: Parameters<typeof proposeVersion>[1]): Promise<string> => {
      const version = await signed(proposeVersion(chain.current, changes, 0), [0, 1])
      try {
        await adoptVersion(dir, chain, version)
      } catch (err) {
        assert.ok(err instanceof ManifestVersionError && err.reason === 'bad-change', String(err))
        return err.message
      }
      return assert.fail('adopted')
    }
    assert.match(await refused({ aggregation: { rule: 'krum', f: 1 } }), /rounds\.quorum is 2, too small for aggregation\.rule "krum"/)
    assert.match(await refused({ members: ids.slice(0, 2) }), /2 members, but aggregation\.rule "trimmed-mean" with f=1 needs 3 inputs/)
    assert.match(await refused({ aggregation: { rule: 'no-such-rule' } }), /no-such-rule/)
    assert.equal((await loadManifestChain(dir, genesis)).current.version, 0)
  })

  it('a running node follows a newly stored version: members change in place, removed members are hung up', async () => {
    const chain = await loadManifestChain(dir, genesis)
    const members = new Set(genesis.members)
    const hungUp: string[] = []
    const warnings: string[] = []
    const live = { peerId: ids[0] as string, members, hangUp: async (p: string) => { hungUp.push(p) }, log: { info () {}, debug () {}, warn (m: string) { warnings.push(m) } } }
    assert.equal(await followChain(dir, genesis, chain, live), chain)
    const v1 = await signed(proposeVersion(chain.current, { members: [...ids.slice(0, 3), ids[4] as string] }, 3), [0, 2])
    await adoptVersion(dir, chain, v1)
    const next = await followChain(dir, genesis, chain, live)
    assert.equal(next.current.version, 1)
    assert.deepEqual([...members].sort(), [...ids.slice(0, 3), ids[4] as string].sort())
    assert.deepEqual(hungUp, [ids[3]])
    assert.deepEqual(warnings, [])
    // A version that drops this node itself stops it.
    const v2 = await signed(proposeVersion(next.current, { members: ids.slice(1, 4) }, 4), [1, 2])
    await adoptVersion(dir, next, v2)
    await assert.rejects(followChain(dir, genesis, next, live), (err: unknown) => err instanceof RuntimeFailure && /no longer lists this node/.test(err.message))
  })
})
