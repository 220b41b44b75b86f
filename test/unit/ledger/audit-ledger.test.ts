import assert from 'node:assert/strict'
import { appendFile, readFile, writeFile } from 'node:fs/promises'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  AuditLedger, ENTRY_KIND_LIST, LedgerFormatError, merkleTreeHash, parseLedgerFile, verifyLedgerDirectory
} from '../../../src/ledger/index.ts'
import type { EntryBody } from '../../../src/ledger/index.ts'
import { SAMPLE_BODIES, tempDir, testKey } from './fixtures.ts'

async function openLedger (dir: string, warnings: string[] = []): Promise<AuditLedger> {
  let clock = 1_700_000_000_000
  return AuditLedger.open({ dataDir: dir, privateKey: await testKey(1), warn: line => warnings.push(line), now: () => clock++ })
}

/** Entries of {@link filledLedger}: one of every kind. */
const KINDS = ENTRY_KIND_LIST.length

/** A log of one entry of every kind, committed. */
async function filledLedger (dir: string): Promise<AuditLedger> {
  const ledger = await openLedger(dir)
  for (const kind of ENTRY_KIND_LIST) ledger.append(kind, SAMPLE_BODIES[kind] as EntryBody<'training'>)
  await ledger.commit()
  return ledger
}

async function verify (dir: string): Promise<Awaited<ReturnType<typeof verifyLedgerDirectory>>> {
  const key = await testKey(1)
  return verifyLedgerDirectory(dir, peerIdFromPrivateKey(key).toString(), key.publicKey)
}

describe('ledger: the append-only store', () => {
  let temp: Awaited<ReturnType<typeof tempDir>>
  beforeEach(async () => { temp = await tempDir() })
  afterEach(async () => { await temp.remove() })

  it('appends, commits and reopens to the same entries, root and checkpoint, which verify', async () => {
    const ledger = await filledLedger(temp.dir)
    const root = ledger.root()
    assert.equal(root, Buffer.from(merkleTreeHash(ledger.entries.map(e => e.hash))).toString('hex'))
    assert.equal(ledger.checkpoint?.size, KINDS)
    await ledger.close()
    const warnings: string[] = []
    const reopened = await openLedger(temp.dir, warnings)
    assert.deepEqual(warnings, [])
    assert.equal(reopened.size, KINDS)
    assert.equal(reopened.root(), root)
    assert.deepEqual(reopened.entries.map(e => e.entry.kind), ENTRY_KIND_LIST)
    reopened.append('evaluation', SAMPLE_BODIES.evaluation)
    await reopened.commit()
    await reopened.close()
    const report = await verify(temp.dir)
    assert.equal(report.failure, undefined)
    assert.equal(report.entries.length, KINDS + 1)
  })

  it('a commit signs the log as it was when called: entries appended while it runs wait for the next commit', async () => {
    const ledger = await filledLedger(temp.dir)
    ledger.append('evaluation', SAMPLE_BODIES.evaluation)
    const first = ledger.commit()
    ledger.append('evaluation', { ...SAMPLE_BODIES.evaluation, round: 4 })
    assert.equal((await first).size, KINDS + 1)
    assert.equal(ledger.checkpoint?.size, KINDS + 1)
    assert.equal((await ledger.commit()).size, KINDS + 2)
    await ledger.close()
    const report = await verify(temp.dir)
    assert.deepEqual([report.failure, report.entries.length, report.unsigned], [undefined, KINDS + 2, 0])
  })

  it('cuts a torn last record back to the last whole entry at start-up, with a warning', async () => {
    await (await filledLedger(temp.dir)).close()
    const path = `${temp.dir}/ledger/entries.log`
    const whole = (await readFile(path)).byteLength
    // A crash in the middle of appending: a length prefix promising 300 bytes, and 10 of them.
    const torn = Buffer.alloc(14)
    torn.writeUInt32LE(300, 0)
    await appendFile(path, torn)
    assert.match((await verify(temp.dir)).failure?.message ?? '', /truncated: the file ends 14 bytes into a record of 304/)
    const warnings: string[] = []
    const ledger = await openLedger(temp.dir, warnings)
    assert.equal(warnings.length, 1)
    assert.match(warnings[0] as string, new RegExp(`cut short by a crash \\(14 of 304 bytes\\).*${KINDS} entries`))
    assert.equal((await readFile(path)).byteLength, whole)
    ledger.append('evaluation', SAMPLE_BODIES.evaluation)
    await ledger.commit()
    await ledger.close()
    assert.equal((await verify(temp.dir)).failure, undefined)
  })

  it('rolls back the entries of a round whose checkpoint a crash kept from being written, with a warning', async () => {
    const ledger = await filledLedger(temp.dir)
    const root = ledger.root()
    const checkpointFile = `${temp.dir}/ledger/checkpoint`
    const committed = await readFile(checkpointFile)
    ledger.append('training', SAMPLE_BODIES.training)
    ledger.append('announcement', SAMPLE_BODIES.announcement)
    await ledger.commit()
    await ledger.close()
    // The crash: the entries reached the file, the new checkpoint did not.
    await writeFile(checkpointFile, committed)
    assert.equal(parseLedgerFile(await readFile(`${temp.dir}/ledger/entries.log`)).records.length, KINDS + 2)
    const warnings: string[] = []
    const reopened = await openLedger(temp.dir, warnings)
    assert.equal(reopened.size, KINDS)
    assert.equal(reopened.root(), root)
    assert.match(warnings.join('\n'), new RegExp(`2 entries after the last checkpoint .* rolled back to ${KINDS} entries`))
    assert.equal(parseLedgerFile(await readFile(`${temp.dir}/ledger/entries.log`)).records.length, KINDS)
    await reopened.close()
  })

  it('refuses to open a log shorter than the checkpoint it signed', async () => {
    await (await filledLedger(temp.dir)).close()
    const path = `${temp.dir}/ledger/entries.log`
    const parsed = parseLedgerFile(await readFile(path))
    await writeFile(path, (await readFile(path)).subarray(0, parsed.offsets[6]))
    await assert.rejects(openLedger(temp.dir), (err: unknown) => err instanceof LedgerFormatError && new RegExp(`has 6 entries, its checkpoint signed ${KINDS}`).test(err.message))
  })
})
