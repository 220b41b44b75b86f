import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KNOWN_PEERS_FILE, loadKnownPeers, saveKnownPeers } from '../../../src/node/index.ts'

const A = '12D3KooWGRbqsxkHgD9eSRt8C1ZKSTLBYzTvr4rGhnCpcuUdASKo'
const B = '12D3KooWRjAB6UWutJE7SpC4ckqmteuxeZja3gZRirNEv9qXcXDD'

describe('known peers in the data directory', () => {
  let dir = ''
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'meshtrain-peers-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('keeps the peers met, newest first, and gives them back as dialable addresses', async () => {
    assert.deepEqual(await loadKnownPeers(dir), [])
    await saveKnownPeers(dir, [{ id: A, addrs: ['/ip4/10.0.0.1/tcp/7171'] }])
    await saveKnownPeers(dir, [{ id: B, addrs: ['/ip4/10.0.0.2/tcp/7171'] }, { id: A, addrs: ['/ip4/10.0.0.9/tcp/7171'] }])
    assert.deepEqual(await loadKnownPeers(dir), [`/ip4/10.0.0.2/tcp/7171/p2p/${B}`, `/ip4/10.0.0.9/tcp/7171/p2p/${A}`])
    // Peers the member list no longer allows are left out.
    assert.deepEqual(await loadKnownPeers(dir, peer => peer !== B), [`/ip4/10.0.0.9/tcp/7171/p2p/${A}`])
  })

  it('a damaged file is only a hint: no peers, and damaged entries are skipped', async () => {
    await writeFile(join(dir, KNOWN_PEERS_FILE), '{')
    assert.deepEqual(await loadKnownPeers(dir), [])
    await writeFile(join(dir, KNOWN_PEERS_FILE), JSON.stringify([{ id: A, addrs: ['garbage'] }, { id: B, addrs: ['/ip4/10.0.0.2/tcp/1'] }, 5]))
    assert.deepEqual(await loadKnownPeers(dir), [`/ip4/10.0.0.2/tcp/1/p2p/${B}`])
  })
})
