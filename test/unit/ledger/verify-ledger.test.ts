import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  AuditLedger, GENESIS_PREV, LEDGER_FILE_MAGIC, decodeEntry, encodeEntry, encodeRecord, entryHash, formatLedgerFailure, merkleTreeHash,
  parseLedgerFile, signCheckpoint, signEntry, verifyLedgerDirectory, verifyRecords
} from '../../../src/ledger/index.ts'
import type { AnyLedgerEntry } from '../../../src/ledger/index.ts'
import { SAMPLE_BODIES, tempDir, testKey } from './fixtures.ts'

/** Ten committed entries: manifest, data, then training / aggregate pairs of rounds 0 to 3, with their models held. */
async function tenEntries (dir: string): Promise<{ models: string[] }> {
  let clock = 1_700_000_000_000
  const ledger = await AuditLedger.open({ dataDir: dir, privateKey: await testKey(1), warn: () => {}, now: () => clock++ })
  await ledger.append('manifest', SAMPLE_BODIES.manifest)
  await ledger.append('data', SAMPLE_BODIES.data)
  const models: string[] = []
  let start = await ledger.models.put(new Float32Array([0, 0, 0]))
  for (let round = 0; round < 4; round++) {
    const trained = await ledger.models.put(new Float32Array([round, 1, 2]))
    const output = await ledger.models.put(new Float32Array([round, 1, 3]))
    await ledger.append('training', { ...SAMPLE_BODIES.training, round, startModel: start, model: trained })
    await ledger.append('aggregate', { ...SAMPLE_BODIES.aggregate, round, inputs: [trained], output })
    models.push(trained, output)
    start = output
  }
  await ledger.commit()
  await ledger.close()
  return { models }
}

const logPath = (dir: string): string => join(dir, 'ledger', 'entries.log')

async function records (dir: string): Promise<Uint8Array[]> {
  return [...parseLedgerFile(await readFile(logPath(dir))).records]
}

async function writeRecords (dir: string, list: readonly Uint8Array[]): Promise<void> {
  await writeFile(logPath(dir), Buffer.concat([LEDGER_FILE_MAGIC, ...list.map(encodeRecord)]))
}

async function failureOf (dir: string): Promise<string> {
  const key = await testKey(1)
  const report = await verifyLedgerDirectory(dir, peerIdFromPrivateKey(key).toString(), key.publicKey)
  return report.failure === undefined ? 'ok' : formatLedgerFailure(report.failure)
}

/** Entry `i` re-signed by `key` after `change`, keeping its place in the chain. */
async function resigned (record: Uint8Array, seed: number, change: (e: AnyLedgerEntry) => AnyLedgerEntry = e => e): Promise<Uint8Array> {
  const { sig: _, v: __, ...fields } = change(decodeEntry(record))
  return encodeEntry(await signEntry(fields as Parameters<typeof signEntry>[0], await testKey(seed)))
}

describe('ledger: verify finds the first tampered entry', () => {
  let temp: Awaited<ReturnType<typeof tempDir>>
  let owner: string
  beforeEach(async () => {
    temp = await tempDir()
    await tenEntries(temp.dir)
    owner = peerIdFromPrivateKey(await testKey(1)).toString()
  })
  afterEach(async () => { await temp.remove() })

  it('passes the untouched log', async () => {
    assert.equal(await failureOf(temp.dir), 'ok')
  })

  it('a flipped bit that keeps the JSON valid: the signature', async () => {
    const list = await records(temp.dir)
    const bytes = Uint8Array.from(list[4] as Uint8Array)
    // The last digit of the entry's time, 0x3x: flipping its low bit gives another digit.
    const at = new TextDecoder().decode(bytes).indexOf(',"v":') - 1
    bytes[at] = (bytes[at] as number) ^ 1
    list[4] = bytes
    await writeRecords(temp.dir, list)
    assert.equal(await failureOf(temp.dir), `entry 4: signature does not verify with the key of ${owner}`)
  })

  it('a flipped bit that breaks the encoding: the decoder', async () => {
    const list = await records(temp.dir)
    const bytes = Uint8Array.from(list[6] as Uint8Array)
    bytes[0] = (bytes[0] as number) ^ 0x40
    list[6] = bytes
    await writeRecords(temp.dir, list)
    assert.equal(await failureOf(temp.dir), 'entry 6: does not decode: entry is not UTF-8 JSON')
  })

  it('a flipped bit in a length prefix: the record that no longer parses', async () => {
    const file = await readFile(logPath(temp.dir))
    const offset = parseLedgerFile(file).offsets[5] as number
    file[offset + 3] = (file[offset + 3] as number) ^ 0x80
    await writeFile(logPath(temp.dir), file)
    assert.match(await failureOf(temp.dir), /^entry 5: record length \d+, expected 1 to 262144$/)
  })

  it('two entries swapped', async () => {
    const list = await records(temp.dir)
    ;[list[3], list[4]] = [list[4] as Uint8Array, list[3] as Uint8Array]
    await writeRecords(temp.dir, list)
    assert.equal(await failureOf(temp.dir), 'entry 3: says it is entry 4 (entries reordered, dropped or inserted)')
  })

  it('an entry dropped', async () => {
    const list = await records(temp.dir)
    list.splice(5, 1)
    await writeRecords(temp.dir, list)
    assert.equal(await failureOf(temp.dir), 'entry 5: says it is entry 6 (entries reordered, dropped or inserted)')
  })

  it('an entry inserted: a copy of an earlier one, or a new one that names the right position', async () => {
    const list = await records(temp.dir)
    await writeRecords(temp.dir, [...list.slice(0, 3), list[2] as Uint8Array, ...list.slice(3)])
    assert.equal(await failureOf(temp.dir), 'entry 3: says it is entry 2 (entries reordered, dropped or inserted)')
    // A new entry 3, chained to entry 2 and signed with the owner's key: the old entry 3 follows it.
    const forged = await resigned(list[3] as Uint8Array, 1, e => ({ ...e, time: e.time + 1 }))
    await writeRecords(temp.dir, [...list.slice(0, 3), forged, ...list.slice(3)])
    assert.equal(await failureOf(temp.dir), 'entry 4: says it is entry 3 (entries reordered, dropped or inserted)')
  })

  it('an entry replaced by another that names the right position, signed with the owner key: the chain', async () => {
    const list = await records(temp.dir)
    list[3] = await resigned(list[3] as Uint8Array, 1, e => ({ ...e, time: e.time + 1 }))
    await writeRecords(temp.dir, list)
    assert.match(await failureOf(temp.dir), /^entry 4: does not chain to entry 3: prev is [0-9a-f]{64}, entry 3 hashes to [0-9a-f]{64}$/)
  })

  it('an entry re-signed with another key', async () => {
    const list = await records(temp.dir)
    list[7] = await resigned(list[7] as Uint8Array, 2)
    await writeRecords(temp.dir, list)
    assert.equal(await failureOf(temp.dir), `entry 7: signature does not verify with the key of ${owner}`)
  })

  it('a file truncated in the middle of a record', async () => {
    const file = await readFile(logPath(temp.dir))
    await writeFile(logPath(temp.dir), file.subarray(0, file.byteLength - 25))
    assert.match(await failureOf(temp.dir), /^entry 9: truncated: the file ends \d+ bytes into a record of \d+$/)
  })

  it('a file truncated at a record boundary: the checkpoint counts the missing entries', async () => {
    await writeRecords(temp.dir, (await records(temp.dir)).slice(0, 8))
    assert.equal(await failureOf(temp.dir), 'the log has 8 entries, its checkpoint signed 10: entries 8 to 9 are missing')
  })

  it('history rewritten and re-signed with the owner key: the checkpoint root', async () => {
    const list = await records(temp.dir)
    const rewritten: Uint8Array[] = list.slice(0, 2)
    // Change round 1's aggregate and re-sign it and every later entry, chaining each to the new one.
    let prev = ''
    for (let i = 2; i < list.length; i++) {
      const record = list[i] as Uint8Array
      const change = (e: AnyLedgerEntry): AnyLedgerEntry => ({ ...e, ...(i === 5 ? { time: e.time + 1 } : {}), ...(prev === '' ? {} : { prev }) })
      const bytes = i < 5 ? record : await resigned(record, 1, change)
      rewritten.push(bytes)
      if (i >= 5) prev = Buffer.from(entryHash(bytes)).toString('hex')
    }
    await writeRecords(temp.dir, rewritten)
    assert.match(await failureOf(temp.dir), /^checkpoint: the first 10 entries hash to [0-9a-f]{64}, the checkpoint signed [0-9a-f]{64}$/)
  })

  it('a held model whose bytes changed', async () => {
    const { entries } = await verifyLedgerDirectory(temp.dir, owner, (await testKey(1)).publicKey)
    const aggregate = entries.find(e => e.entry.kind === 'aggregate' && e.entry.body.round === 2)
    assert.ok(aggregate?.entry.kind === 'aggregate')
    const hash = aggregate.entry.body.output
    await writeFile(join(temp.dir, 'models', hash), Buffer.from(new Float32Array([9, 9, 9]).buffer))
    // Round 2's aggregate (entry 7) is the first entry that names its output.
    assert.match(await failureOf(temp.dir), new RegExp(`^entry 7: names model ${hash}, but models/${hash} hashes to [0-9a-f]{64}$`))
  })

  it('lets a verified checkpoint vouch for the entries it covers, and checks each one with everySignature', async () => {
    // The owner itself wrote entry 3 with another key's signature and signed a checkpoint over it all.
    const owner1 = await testKey(1)
    const records: Uint8Array[] = []
    let prev = GENESIS_PREV
    for (let seq = 0; seq < 6; seq++) {
      const entry = await signEntry({ seq, prev, time: 1_700_000_000_000 + seq, kind: 'evaluation', body: { ...SAMPLE_BODIES.evaluation, round: seq } }, await testKey(seq === 3 ? 2 : 1))
      const bytes = encodeEntry(entry)
      records.push(bytes)
      prev = Buffer.from(entryHash(bytes)).toString('hex')
    }
    const root = Buffer.from(merkleTreeHash(records.map(entryHash))).toString('hex')
    const checkpoint = await signCheckpoint(owner, { size: 6, root, time: 1 }, owner1)
    assert.equal((await verifyRecords(records, owner, owner1.publicKey, checkpoint)).failure, undefined)
    const every = await verifyRecords(records, owner, owner1.publicKey, checkpoint, { everySignature: true })
    assert.equal(every.failure === undefined ? 'ok' : formatLedgerFailure(every.failure), `entry 3: signature does not verify with the key of ${owner}`)
    // Without the checkpoint, or with one that covers only 2 entries, entry 3 is checked on its own.
    assert.equal((await verifyRecords(records, owner, owner1.publicKey)).failure?.entry, 3)
    const early = await signCheckpoint(owner, { size: 2, root: Buffer.from(merkleTreeHash(records.map(entryHash), 0, 2)).toString('hex'), time: 1 }, owner1)
    assert.equal((await verifyRecords(records, owner, owner1.publicKey, early)).failure?.entry, 3)
  })
})
