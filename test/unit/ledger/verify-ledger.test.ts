import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  AuditLedger, LEDGER_FILE_MAGIC, decodeEntry, encodeEntry, encodeRecord, entryHash, formatCheckpoint, formatLedgerFailure, merkleTreeHash,
  parseLedgerFile, signCheckpoint, verifyLedgerDirectory, verifyRecords
} from '../../../src/ledger/index.ts'
import type { AnyLedgerEntry } from '../../../src/ledger/index.ts'
import { SAMPLE_BODIES, tempDir, testKey } from './fixtures.ts'

/** Ten committed entries: manifest, data, then training / aggregate pairs of rounds 0 to 3, with their models held. */
async function tenEntries (dir: string): Promise<{ models: string[] }> {
  let clock = 1_700_000_000_000
  const ledger = await AuditLedger.open({ dataDir: dir, privateKey: await testKey(1), warn: () => {}, now: () => clock++ })
  ledger.append('manifest', SAMPLE_BODIES.manifest)
  ledger.append('data', SAMPLE_BODIES.data)
  const models: string[] = []
  let start = await ledger.models.put(new Float32Array([0, 0, 0]))
  for (let round = 0; round < 4; round++) {
    const trained = await ledger.models.put(new Float32Array([round, 1, 2]))
    const output = await ledger.models.put(new Float32Array([round, 1, 3]))
    ledger.append('training', { ...SAMPLE_BODIES.training, round, startModel: start, model: trained })
    ledger.append('aggregate', { ...SAMPLE_BODIES.aggregate, round, own: trained, inputs: [], output })
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

/** An entry's bytes after `change`. */
function changed (record: Uint8Array, change: (e: AnyLedgerEntry) => AnyLedgerEntry): Uint8Array {
  return encodeEntry(change(decodeEntry(record)))
}

/** Replace the checkpoint file with one over `records`, signed with the key of `seed` for the owner's log. */
async function resignCheckpoint (dir: string, records: readonly Uint8Array[], seed: number): Promise<void> {
  const owner = peerIdFromPrivateKey(await testKey(1)).toString()
  const root = Buffer.from(merkleTreeHash(records.map(entryHash))).toString('hex')
  const checkpoint = await signCheckpoint(owner, { size: records.length, root, time: 1_800_000_000_000 }, await testKey(seed))
  await writeFile(join(dir, 'ledger', 'checkpoint'), formatCheckpoint(checkpoint) + '\n')
}

/** The log with entry `i` changed and every later entry re-chained to it, as a forger holding the file would. */
function rewritten (list: readonly Uint8Array[], i: number, change: (e: AnyLedgerEntry) => AnyLedgerEntry): Uint8Array[] {
  const out = list.slice(0, i)
  for (let j = i; j < list.length; j++) {
    const prev = j === 0 ? undefined : Buffer.from(entryHash(out[j - 1] as Uint8Array)).toString('hex')
    out.push(changed(list[j] as Uint8Array, e => ({ ...(j === i ? change(e) : e), ...(prev === undefined ? {} : { prev }) })))
  }
  return out
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

  it('a flipped bit that keeps the encoding valid: the chain at the next entry', async () => {
    // The last byte of the entry: a hash, which any bit pattern encodes.
    await flipLastByte(temp.dir, 4, 1)
    assert.match(await failureOf(temp.dir), /^entry 5: does not chain to entry 4: prev is [0-9a-f]{64}, entry 4 hashes to [0-9a-f]{64} \(entry 4 or this one was changed\)$/)
  })

  it('a flipped bit in the last entry: the checkpoint root', async () => {
    await flipLastByte(temp.dir, 9, 0x80)
    assert.match(await failureOf(temp.dir), /^checkpoint: the first 10 entries hash to [0-9a-f]{64}, the checkpoint signed [0-9a-f]{64}$/)
  })

  it('a flipped bit that breaks the encoding: the decoder', async () => {
    const list = await records(temp.dir)
    const bytes = Uint8Array.from(list[6] as Uint8Array)
    bytes[0] = (bytes[0] as number) ^ 0x40
    list[6] = bytes
    await writeRecords(temp.dir, list)
    assert.equal(await failureOf(temp.dir), 'entry 6: does not decode: entry version 66, this reader speaks 2')
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
    // A new entry 3, chained to entry 2: the old entry 3 follows it.
    const forged = changed(list[3] as Uint8Array, e => ({ ...e, time: e.time + 1 }))
    await writeRecords(temp.dir, [...list.slice(0, 3), forged, ...list.slice(3)])
    assert.equal(await failureOf(temp.dir), 'entry 4: says it is entry 3 (entries reordered, dropped or inserted)')
  })

  it('an entry replaced by another that names the right position: the chain', async () => {
    const list = await records(temp.dir)
    list[3] = changed(list[3] as Uint8Array, e => ({ ...e, time: e.time + 1 }))
    await writeRecords(temp.dir, list)
    assert.match(await failureOf(temp.dir), /^entry 4: does not chain to entry 3: prev is [0-9a-f]{64}, entry 3 hashes to [0-9a-f]{64} \(entry 3 or this one was changed\)$/)
  })

  it('an entry changed, the log re-chained and re-signed with another key: the checkpoint signature', async () => {
    const list = rewritten(await records(temp.dir), 7, e => ({ ...e, time: e.time + 1 }))
    await writeRecords(temp.dir, list)
    await resignCheckpoint(temp.dir, list, 2)
    assert.equal(await failureOf(temp.dir), `checkpoint (size 10) signature does not verify with the key of ${owner}: entries 0 to 9 are not signed by it`)
    // The same log re-signed with the owner's key verifies: the key is what authenticates it.
    await resignCheckpoint(temp.dir, list, 1)
    assert.equal(await failureOf(temp.dir), 'ok')
  })

  it('a peer named before the log lists it, or listed twice', async () => {
    const list = await records(temp.dir)
    list[3] = changed(list[3] as Uint8Array, e => (e.kind === 'aggregate' ? { ...e, body: { ...e.body, inputs: [{ ...SAMPLE_BODIES.aggregate.inputs[0]!, peer: 0 }] } } : e))
    await writeRecords(temp.dir, rewritten(list, 3, e => e))
    assert.equal(await failureOf(temp.dir), 'entry 3: input 0 names peer 0, the peer table has 0 peers before it')
    const twice = rewritten([...list.slice(0, 2), changed(list[2] as Uint8Array, e => ({ ...e, kind: 'peer', body: SAMPLE_BODIES.peer } as AnyLedgerEntry)), changed(list[3] as Uint8Array, e => ({ ...e, kind: 'peer', body: SAMPLE_BODIES.peer } as AnyLedgerEntry))], 2, e => e)
    await writeRecords(temp.dir, twice)
    assert.match(await failureOf(temp.dir), /^entry 3: lists peer 12D3KooW\w+ a second time$/)
  })

  it('entries after the checkpoint: counted, not signed, not a failure; without any checkpoint: a failure', async () => {
    const list = await records(temp.dir)
    const extra = changed(list[9] as Uint8Array, e => ({ ...e, seq: 10, prev: Buffer.from(entryHash(list[9] as Uint8Array)).toString('hex') }))
    await writeRecords(temp.dir, [...list, extra])
    const key = await testKey(1)
    const report = await verifyLedgerDirectory(temp.dir, owner, key.publicKey)
    assert.deepEqual([report.failure, report.entries.length, report.unsigned], [undefined, 10, 1])
    const none = await verifyRecords(list, owner, key.publicKey)
    assert.equal(none.failure?.message, `no signed checkpoint: none of the 10 entries is signed by ${owner}`)
  })

  it('a log of format 1: refused with a message that says so', async () => {
    await writeFile(logPath(temp.dir), Buffer.concat([Buffer.from('MTLEDG1\n'), encodeRecord(new TextEncoder().encode('{"v":1}'))]))
    assert.match(await failureOf(temp.dir), /^a ledger in format 1 \(JSON entries.*format 2 only/)
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

  it('history rewritten and re-chained, the checkpoint left as the owner signed it: the checkpoint root', async () => {
    // Change round 1's aggregate and re-chain every later entry to the new one.
    await writeRecords(temp.dir, rewritten(await records(temp.dir), 5, e => ({ ...e, time: e.time + 1 })))
    assert.match(await failureOf(temp.dir), /^checkpoint: the first 10 entries hash to [0-9a-f]{64}, the checkpoint signed [0-9a-f]{64}$/)
  })

  it('a held model whose bytes changed', async () => {
    const { entries } = await verifyLedgerDirectory(temp.dir, owner, (await testKey(1)).publicKey)
    const aggregate = entries.find(e => e.entry.kind === 'aggregate' && e.entry.body.round === 2)
    assert.ok(aggregate?.entry.kind === 'aggregate')
    const hash = aggregate.entry.body.output ?? ''
    await writeFile(join(temp.dir, 'models', hash), Buffer.from(new Float32Array([9, 9, 9]).buffer))
    // Round 2's aggregate (entry 7) is the first entry that names its output.
    assert.match(await failureOf(temp.dir), new RegExp(`^entry 7: names model ${hash}, but models/${hash} hashes to [0-9a-f]{64}$`))
  })
})

/** Flip the bits `mask` of the last byte of entry `index` of the log in `dir`. */
async function flipLastByte (dir: string, index: number, mask: number): Promise<void> {
  const list = await records(dir)
  const bytes = Uint8Array.from(list[index] as Uint8Array)
  bytes[bytes.byteLength - 1] = (bytes[bytes.byteLength - 1] as number) ^ mask
  list[index] = bytes
  await writeRecords(dir, list)
}
