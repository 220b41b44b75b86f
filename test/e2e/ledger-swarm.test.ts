import assert from 'node:assert/strict'
import { cp, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { decodeEntry, parseLedgerFile, peerInputsOf } from '../../src/ledger/index.ts'
import { runCli, tempDir } from './daemon-fixture.ts'

/**
 * The ledger of real daemons: a 4-node swarm on 127.0.0.1 ends with every node's ledger verified;
 * each node holds its peers' signed checkpoints; an export verifies in a directory that never
 * saw the network; a past round's aggregate is reproduced bit for bit.
 */
describe('the audit ledger of a real swarm', function () {
  this.timeout(240_000)
  let temp: Awaited<ReturnType<typeof tempDir>>
  let swarm: Awaited<ReturnType<typeof runCli>>
  const nodes = [0, 1, 2, 3]

  before(async () => {
    temp = await tempDir()
    swarm = await runCli(['swarm', '--nodes', '4', '--rounds', '3', '--dir', join(temp.path, 'swarm')])
  })
  after(async () => { await temp.remove() })

  it('ends with ledger verify ok on every node, each log witnessing its peers\' checkpoints', async () => {
    assert.equal(swarm.code, 0, swarm.stderr)
    for (const i of nodes) assert.match(swarm.stdout, new RegExp(`^ledger verify node ${i}: ok, \\d+ entries, root [0-9a-f]{16}$`, 'm'))
    const log = parseLedgerFile(await readFile(join(temp.path, 'swarm', 'node-0', 'ledger', 'entries.log')))
    const withHead = peerInputsOf(log.records.map(decodeEntry)).filter(input => input.checkpoint !== null)
    // Round 0's announcements carry the checkpoint of manifest and data; every peer input has one.
    assert.ok(withHead.length >= 3 * 3 - 1, `${withHead.length} peer inputs carried a checkpoint`)
  })

  it('exports a node\'s log, which verifies elsewhere with the peer id alone, and reproduces round 1', async () => {
    const dataDir = join(temp.path, 'swarm', 'node-2')
    const out = join(temp.path, 'node-2.ledger')
    assert.equal((await runCli(['ledger', 'export', '--data-dir', dataDir, '--out', out])).code, 0)
    const auditor = join(temp.path, 'auditor')
    await cp(out, join(auditor, 'node-2.ledger'), { recursive: true })
    const peerId = /^2 +(12D3KooW\w+)/m.exec(swarm.stdout)?.[1] as string
    const verified = await runCli(['ledger', 'verify', '--file', join(auditor, 'node-2.ledger'), '--peer', peerId])
    assert.equal(verified.code, 0, verified.stderr)
    const reproduced = await runCli(['ledger', 'reproduce', '--data-dir', dataDir, '--round', '1'])
    assert.equal(reproduced.code, 0, reproduced.stderr)
    // The aggregate from the held models, then the node's own training re-run from its recorded seed.
    assert.match(reproduced.stdout, /^round 1: \S+ over 4 inputs \(entry \d+\) reproduces [0-9a-f]{64} bit for bit\nround 1: training \(entry \d+: 20 steps of 32, learning rate 0\.2, seed \d+, \w+\) reproduces [0-9a-f]{64} bit for bit\n$/)
  })
})
