import assert from 'node:assert/strict'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { AuditLedger, decodeEntry, encodeEntry, parseLedgerFile } from '../../src/ledger/index.ts'
import { createIdentity } from '../../src/node/index.ts'
import { recordRounds } from '../unit/ledger/fixtures.ts'
import { runCli, tempDir } from './daemon-fixture.ts'

/**
 * `meshtrain ledger ...` as an operator and an auditor run them: real processes over a data
 * directory whose log was written by AuditLedger (three rounds with three peers), then tampered.
 */
describe('meshtrain ledger commands', function () {
  this.timeout(60_000)
  let temp: Awaited<ReturnType<typeof tempDir>>
  let dataDir: string
  let peerId: string
  let outputs: string[]

  before(async () => {
    temp = await tempDir()
    dataDir = join(temp.path, 'node')
    await mkdir(dataDir)
    const key = await createIdentity(dataDir)
    peerId = peerIdFromPrivateKey(key).toString()
    const ledger = await AuditLedger.open({ dataDir, privateKey: key, warn: () => {} })
    outputs = await recordRounds(ledger, 3)
    await ledger.close()
  })
  after(async () => { await temp.remove() })

  it('verifies a node\'s log (exit 0), exports it, and an auditor verifies the export with the peer id alone', async () => {
    const verified = await runCli(['ledger', 'verify', '--data-dir', dataDir])
    assert.equal(verified.code, 0, verified.stderr)
    assert.match(verified.stdout, /^ledger ok: .*: 17 entries, root [0-9a-f]{64}, checkpoint of 17 entries verified\n$/)
    const out = join(temp.path, 'export.ledger')
    const exported = await runCli(['ledger', 'export', '--data-dir', dataDir, '--out', out])
    assert.equal(exported.code, 0, exported.stderr)
    assert.equal(exported.stdout, `exported 17 entries of ${peerId} to ${out}\n`)
    const audited = await runCli(['ledger', 'verify', '--file', out, '--peer', peerId])
    assert.equal(audited.code, 0, audited.stderr)
    assert.match(audited.stdout, /17 entries, root [0-9a-f]{64}, checkpoint of 17 entries verified/)
    const other = '12D3KooWGRbqsxkHgD9eSRt8C1ZKSTLBYzTvr4rGhnCpcuUdASKo'
    const wrongPeer = await runCli(['ledger', 'verify', '--file', out, '--peer', other])
    assert.equal(wrongPeer.code, 1)
    assert.equal(wrongPeer.stderr, `meshtrain: export ${out} of ${other}: checkpoint (size 17) signature does not verify with the key of ${other}: entries 0 to 16 are not signed by it\n`)
    // An export with one entry line changed in place: round 1's training (entry 9) with another seed.
    const lines = (await readFile(out, 'utf8')).split('\n')
    const training = decodeEntry(Buffer.from(lines[1 + 9] as string, 'base64'))
    assert.ok(training.kind === 'training' && training.body.seed === 1001)
    lines[1 + 9] = Buffer.from(encodeEntry({ ...training, body: { ...training.body, seed: 1011 } })).toString('base64')
    await writeFile(out + '.tampered', lines.join('\n'))
    const tampered = await runCli(['ledger', 'verify', '--file', out + '.tampered', '--peer', peerId])
    assert.equal(tampered.code, 1)
    assert.match(tampered.stderr, new RegExp(`^meshtrain: export ${out}.tampered of ${peerId}: entry 10: does not chain to entry 9: prev is [0-9a-f]{64}, entry 9 hashes to [0-9a-f]{64} \\(entry 9 or this one was changed\\)\n$`))
  })

  it('prints the lineage of a model as a tree and as JSON, and the peers\' contributions', async () => {
    const tree = await runCli(['ledger', 'lineage', outputs[2] as string, '--data-dir', dataDir])
    assert.equal(tree.code, 0, tree.stderr)
    assert.match(tree.stdout, /^[0-9a-f]{12} aggregate of round 2 \(entry 15\): median \{"f":1\} over 4 inputs\n/)
    assert.match(tree.stdout, /trained by this node in round 2 .*seed 1002/)
    const json = await runCli(['ledger', 'lineage', outputs[2] as string, '--data-dir', dataDir, '--json'])
    assert.equal(json.code, 0, json.stderr)
    const lineage = JSON.parse(json.stdout) as { origin: string, round: number, inputs: unknown[] }
    assert.deepEqual([lineage.origin, lineage.round, lineage.inputs.length], ['aggregate', 2, 4])
    const contributions = await runCli(['ledger', 'contributions', '--data-dir', dataDir, '--from', '1', '--to', '2'])
    assert.equal(contributions.code, 0, contributions.stderr)
    const lines = contributions.stdout.trim().split('\n')
    assert.equal(lines.length, 4)
    assert.ok(lines.some(l => / 2 +1 .* hash-mismatch 1$/.test(l)), contributions.stdout)
  })

  it('names the first failure of a tampered log (exit 1) and a bad option (exit 2)', async () => {
    const log = join(dataDir, 'ledger', 'entries.log')
    const original = await readFile(log)
    const tampered = Buffer.from(original)
    const offset = parseLedgerFile(original).offsets[7] as number
    // Entry 7's version byte 0x02 becomes 0x42.
    tampered[offset + 4] = (tampered[offset + 4] as number) ^ 0x40
    await writeFile(log, tampered)
    try {
      const broken = await runCli(['ledger', 'verify', '--data-dir', dataDir])
      assert.equal(broken.code, 1)
      assert.equal(broken.stderr, `meshtrain: ledger of ${dataDir}: entry 7: does not decode: entry version 66, this reader speaks 2\n`)
      const lineage = await runCli(['ledger', 'lineage', outputs[0] as string, '--data-dir', dataDir])
      assert.equal(lineage.code, 1)
      assert.match(lineage.stderr, /entry 7: does not decode.*run meshtrain ledger verify/)
    } finally {
      await writeFile(log, original)
    }
    const badHash = await runCli(['ledger', 'lineage', 'abc', '--data-dir', dataDir])
    assert.equal(badHash.code, 2)
    assert.equal(badHash.stderr, 'meshtrain: MODEL_HASH: got "abc", expected a model\'s SHA-256 as 64 lower-case hex digits\n')
    const noPeer = await runCli(['ledger', 'verify', '--file', 'x'])
    assert.equal(noPeer.code, 2)
    assert.match(noPeer.stderr, /--file needs --peer/)
    const badRange = await runCli(['ledger', 'contributions', '--data-dir', dataDir, '--from', '3', '--to', '1'])
    assert.equal(badRange.code, 2)
    const exists = await runCli(['ledger', 'export', '--data-dir', dataDir, '--out', log])
    assert.equal(exists.code, 2)
    assert.match(exists.stderr, /--out .* exists already/)
    const unknown = await runCli(['ledger', 'audit'])
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /unknown ledger command "audit"; ledger commands: verify, export, lineage, contributions, reproduce/)
  })
})
