import assert from 'node:assert/strict'
import { appendFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { verifySwarmLedgers } from '../../../src/cli/swarm-ledgers.ts'
import { AuditLedger } from '../../../src/ledger/index.ts'
import { createIdentity } from '../../../src/node/index.ts'
import { recordRounds, tempDir } from '../ledger/fixtures.ts'

describe('swarm: ledger verify of every node at the end', () => {
  it('prints one line per node and counts the ledgers that fail', async () => {
    const temp = await tempDir()
    try {
      const nodes = []
      for (const index of [0, 1]) {
        const dataDir = join(temp.dir, `node-${index}`)
        await mkdir(dataDir)
        const ledger = await AuditLedger.open({ dataDir, privateKey: await createIdentity(dataDir), warn: () => {} })
        await recordRounds(ledger, 1)
        await ledger.close()
        nodes.push({ index, dataDir })
      }
      // Node 1's file ends in half a record.
      await appendFile(join(temp.dir, 'node-1', 'ledger', 'entries.log'), Buffer.from([9, 0, 0, 0, 1]))
      const { lines, failed } = await verifySwarmLedgers(nodes)
      assert.equal(failed, 1)
      assert.match(lines[0] as string, /^ledger verify node 0: ok, 9 entries, root [0-9a-f]{16}$/)
      assert.equal(lines[1], 'ledger verify node 1: FAILED: entry 9: truncated: the file ends 5 bytes into a record of 13')
    } finally {
      await temp.remove()
    }
  })
})
