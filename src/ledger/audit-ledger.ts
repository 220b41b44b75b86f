import { mkdir, open, readFile, rename } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import type { EntryBody, EntryKind } from './entry-kinds.ts'
import { GENESIS_PREV, decodeEntry, encodeEntry, entryHash } from './ledger-entry.ts'
import type { AnyLedgerEntry, StoredEntry } from './ledger-entry.ts'
import { formatCheckpoint, parseCheckpoint, signCheckpoint } from './ledger-checkpoint.ts'
import type { LedgerCheckpoint } from './ledger-checkpoint.ts'
import { LedgerFormatError } from './ledger-error.ts'
import { LEDGER_FILE_MAGIC, encodeRecord, parseLedgerFile } from './ledger-file.ts'
import { MerkleFrontier } from './merkle-frontier.ts'
import { merkleTreeHash } from './merkle-tree.ts'
import { ledgerPaths } from './ledger-paths.ts'
import type { LedgerPaths } from './ledger-paths.ts'
import { ModelStore } from './model-store.ts'

/** What opening a node's log needs. */
export interface AuditLedgerInit {
  readonly dataDir: string
  /** The node's libp2p key: signs each checkpoint (and through its Merkle root, every entry it covers). */
  readonly privateKey: PrivateKey
  /** Where the warnings of start-up go (a torn tail cut, an unfinished round rolled back). */
  readonly warn: (line: string) => void
  /** Clock for entry and checkpoint times, ms. @default Date.now */
  readonly now?: () => number
}

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/**
 * A node's append-only audit log in `<data-dir>/ledger/`, with its models in `<data-dir>/models/`.
 *
 * Durability: {@link append} keeps the round's records in memory; {@link commit}, at the end of
 * each round, writes them in one write, fsyncs the file, then signs a checkpoint over the whole log
 * (the round's one signature) and replaces the checkpoint file atomically. Only committed
 * checkpoints are ever published, so at start-up
 * {@link AuditLedger.open} may cut the log back to its last checkpoint (entries of a round a crash
 * interrupted, which no peer has seen a checkpoint of) and cuts a torn last record, warning each
 * time; a log shorter than its checkpoint is refused.
 */
export class AuditLedger {
  readonly paths: LedgerPaths
  readonly models: ModelStore
  readonly peerId: string
  readonly #privateKey: PrivateKey
  readonly #now: () => number
  readonly #file: FileHandle
  readonly #entries: StoredEntry[]
  readonly #frontier = new MerkleFrontier()
  /** The peer table: peer ids in the order of the log's `peer` entries (an entry names a peer by its index here). */
  readonly #peers: string[] = []
  readonly #peerIndex = new Map<string, number>()
  /** Records appended since the last commit, not yet written. */
  #pending: Uint8Array[] = []
  /** The last commit called, settled once it is durable or has failed. */
  #committing: Promise<void> = Promise.resolve()
  #checkpoint: LedgerCheckpoint | undefined

  private constructor (init: AuditLedgerInit, paths: LedgerPaths, file: FileHandle, entries: StoredEntry[], checkpoint: LedgerCheckpoint | undefined) {
    this.paths = paths
    this.models = new ModelStore(paths.models)
    this.peerId = peerIdFromPrivateKey(init.privateKey).toString()
    this.#privateKey = init.privateKey
    this.#now = init.now ?? Date.now
    this.#file = file
    this.#entries = []
    for (const e of entries) this.#remember(e)
    this.#checkpoint = checkpoint
  }

  /**
   * Open (or create) the log under `init.dataDir`: read it, cut a torn tail and any entries past
   * the last checkpoint, check that every entry decodes and chains.
   * @throws LedgerFormatError when the file is not a ledger, an entry is corrupt, or the log is shorter than its checkpoint.
   */
  static async open (init: AuditLedgerInit): Promise<AuditLedger> {
    const paths = ledgerPaths(init.dataDir)
    await mkdir(paths.dir, { recursive: true })
    const bytes = await readOrEmpty(paths.entries)
    const parsed = parseLedgerFile(bytes)
    const checkpointText = (await readOrEmpty(paths.checkpoint)).toString().trim()
    const checkpoint = checkpointText === '' ? undefined : parseCheckpoint(checkpointText)
    let keep = parsed.records.length
    let keepBytes = parsed.wholeBytes
    if (parsed.tornTail !== undefined) {
      init.warn(`ledger: the last record was cut short by a crash (${parsed.tornTail.have} of ${parsed.tornTail.want} bytes); cut back to the last whole entry, ${keep} entries`)
    }
    if (checkpoint !== undefined) {
      if (checkpoint.size > keep) {
        throw new LedgerFormatError(`${paths.entries} has ${keep} entries, its checkpoint signed ${checkpoint.size}: entries were lost (run meshtrain ledger verify)`)
      }
      if (checkpoint.size < keep) {
        init.warn(`ledger: ${keep - checkpoint.size} entries after the last checkpoint (a round cut short) rolled back to ${checkpoint.size} entries`)
        keep = checkpoint.size
        keepBytes = parsed.offsets[keep] ?? parsed.wholeBytes
      }
    }
    const entries: StoredEntry[] = []
    let prev = GENESIS_PREV
    for (let i = 0; i < keep; i++) {
      const record = parsed.records[i] as Uint8Array
      let entry
      try {
        entry = decodeEntry(record)
      } catch (err) {
        throw new LedgerFormatError(`${paths.entries}: entry ${i} is corrupt (${(err as Error).message}); run meshtrain ledger verify`, { cause: err })
      }
      if (entry.seq !== i || entry.prev !== prev) throw new LedgerFormatError(`${paths.entries}: entry ${i} does not chain; run meshtrain ledger verify`)
      const hash = entryHash(record)
      prev = toHex(hash)
      entries.push({ entry, bytes: Uint8Array.from(record), hash })
    }
    if (checkpoint !== undefined && toHex(merkleTreeHash(entries.map(e => e.hash))) !== checkpoint.root) {
      throw new LedgerFormatError(`${paths.entries}: the entries do not hash to the root of their checkpoint; run meshtrain ledger verify`)
    }
    if (bytes.byteLength === 0 || keepBytes < bytes.byteLength) {
      // Rewrite the cut file (temp file, fsync, rename) rather than truncate in place, so a second
      // crash leaves the old file or the cut one.
      await atomicWrite(paths.entries, keepBytes < LEDGER_FILE_MAGIC.byteLength ? LEDGER_FILE_MAGIC : bytes.subarray(0, keepBytes))
    }
    const file = await open(paths.entries, 'a')
    return new AuditLedger(init, paths, file, entries, checkpoint)
  }

  /** Entries in the log. */
  get size (): number {
    return this.#entries.length
  }

  /** The entries, in order. */
  get entries (): readonly StoredEntry[] {
    return this.#entries
  }

  /** The last committed checkpoint, if any. */
  get checkpoint (): LedgerCheckpoint | undefined {
    return this.#checkpoint
  }

  /** Merkle tree hash of the whole log, hex. */
  root (): string {
    return toHex(this.#frontier.root())
  }

  /** The log's peer table: peer ids in the order of its `peer` entries. */
  get peers (): readonly string[] {
    return this.#peers
  }

  /**
   * Chain an entry of `kind` to the last one and append it (written and durable at the next
   * {@link commit}). The entry kept is the one decoded from its bytes (scores rounded to float32).
   * @throws RangeError naming a field whose value is outside its type.
   */
  append<K extends EntryKind> (kind: K, body: EntryBody<K>): StoredEntry {
    const last = this.#entries.at(-1)
    const bytes = encodeEntry({ seq: this.#entries.length, prev: last === undefined ? GENESIS_PREV : toHex(last.hash), time: this.#now(), kind, body } as AnyLedgerEntry)
    const stored: StoredEntry = { entry: decodeEntry(bytes), bytes, hash: entryHash(bytes) }
    this.#pending.push(encodeRecord(bytes))
    this.#remember(stored)
    return stored
  }

  /** The index of `peer` in the peer table, adding a `peer` entry first when it is not listed yet. */
  peerIndex (peer: string): number {
    const index = this.#peerIndex.get(peer)
    if (index !== undefined) return index
    this.append('peer', { peer })
    return this.#peers.length - 1
  }

  #remember (stored: StoredEntry): void {
    this.#entries.push(stored)
    this.#frontier.append(stored.hash)
    if (stored.entry.kind === 'peer') {
      this.#peerIndex.set(stored.entry.body.peer, this.#peers.length)
      this.#peers.push(stored.entry.body.peer)
    }
  }

  /**
   * Make every entry appended so far durable and sign a checkpoint over them: the round's one
   * signature. The log's size and root are taken when it is called (entries appended meanwhile
   * belong to the next commit); the records go out in one write, the checkpoint is signed and
   * written to a temporary file, both files are fsynced together (one wait for the disk, not two),
   * and only then does the checkpoint file replace the old one and {@link checkpoint} (what
   * announcements carry) move on. Commits run one after the other, in the order called.
   */
  async commit (): Promise<LedgerCheckpoint> {
    const records = Buffer.concat(this.#pending)
    this.#pending = []
    const fields = { size: this.size, root: this.root() }
    const previous = this.#committing
    const done = (async () => {
      await previous
      if (records.byteLength > 0) await this.#file.write(records)
      const checkpoint = await signCheckpoint(this.peerId, { ...fields, time: this.#now() }, this.#privateKey)
      await atomicWrite(this.paths.checkpoint, new TextEncoder().encode(formatCheckpoint(checkpoint) + '\n'), this.#file.sync())
      this.#checkpoint = checkpoint
      return checkpoint
    })()
    // The next commit waits for this one, whether it succeeds or not (its own caller sees the error).
    this.#committing = done.then(() => undefined, () => undefined)
    return await done
  }

  /** Wait for the commits called, then close the file. Entries not yet committed are dropped (a crash would have rolled them back). */
  async close (): Promise<void> {
    await this.#committing
    await this.#file.close()
  }
}

async function readOrEmpty (path: string): Promise<Buffer> {
  try {
    return await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0)
    throw err
  }
}

/**
 * Write a file by temp file, fsync and rename, so a crash leaves the old or the new content; the
 * rename also waits for `before` (another file's fsync, run alongside this one's).
 */
async function atomicWrite (path: string, bytes: Uint8Array, before: Promise<void> = Promise.resolve()): Promise<void> {
  // Observed now: a failure of `before` while this file is being opened must not go unhandled.
  before.catch(() => undefined)
  const temp = `${path}.${process.pid}.tmp`
  const handle = await open(temp, 'w')
  try {
    await handle.write(bytes)
    await Promise.all([handle.sync(), before])
  } finally {
    await handle.close()
  }
  await rename(temp, path)
}

