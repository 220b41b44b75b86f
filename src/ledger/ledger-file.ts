import { LedgerFormatError } from './ledger-error.ts'
import { MAX_LEDGER_ENTRY_BYTES } from './ledger-entry.ts'

/**
 * The log file `<data-dir>/ledger/entries.log`: the 8-byte magic {@link LEDGER_FILE_MAGIC}, then
 * one record per entry, each a 4-byte little-endian length followed by the entry's bytes. Appends
 * only; a crash can leave a torn last record, which {@link parseLedgerFile} reports.
 */

/** First bytes of a ledger file: the format and its version (2: binary entries, docs/wire.md §10.4). */
export const LEDGER_FILE_MAGIC = new TextEncoder().encode('MTLEDG2\n')

/** First bytes of a ledger file of format 1 (JSON entries, each signed), which this version refuses. */
const LEDGER_FILE_MAGIC_V1 = new TextEncoder().encode('MTLEDG1\n')

/** What a reader says of a log in format 1. */
export const LEDGER_FORMAT_1_REFUSED = 'a ledger in format 1 (JSON entries, written by meshtrain before ledger format 2); this meshtrain reads format 2 only: ' +
  'verify it with the meshtrain that wrote it, and move <data-dir>/ledger and <data-dir>/models aside to start a new log'

/** Bytes of a record's length prefix. */
export const RECORD_LENGTH_BYTES = 4

/** A ledger file read back: its whole records, and where a torn last record starts, if any. */
export interface ParsedLedgerFile {
  readonly records: readonly Uint8Array[]
  /** Byte offset of each record's length prefix. */
  readonly offsets: readonly number[]
  /** Bytes of whole records (magic included): where the file should end. */
  readonly wholeBytes: number
  /** A last record cut short: the bytes it has, and the bytes its length prefix promised. */
  readonly tornTail?: { readonly have: number, readonly want: number }
}

/** The bytes of one record. */
export function encodeRecord (entryBytes: Uint8Array): Uint8Array {
  const record = new Uint8Array(RECORD_LENGTH_BYTES + entryBytes.byteLength)
  new DataView(record.buffer).setUint32(0, entryBytes.byteLength, true)
  record.set(entryBytes, RECORD_LENGTH_BYTES)
  return record
}

/**
 * Split a ledger file into records: magic, then for each record the length (checked against
 * {@link MAX_LEDGER_ENTRY_BYTES} before anything is read), then the bytes. An empty file is an
 * empty log. A record that runs past the end of the file is a torn tail, not an error: the caller
 * decides (start-up cuts it, verify reports it).
 * @throws LedgerFormatError on a wrong magic or a length beyond the limit.
 */
export function parseLedgerFile (bytes: Uint8Array): ParsedLedgerFile {
  if (bytes.byteLength === 0) return { records: [], offsets: [], wholeBytes: 0 }
  const magic = LEDGER_FILE_MAGIC
  if (bytes.byteLength < magic.byteLength) return { records: [], offsets: [], wholeBytes: 0, tornTail: { have: bytes.byteLength, want: magic.byteLength } }
  if (LEDGER_FILE_MAGIC_V1.every((b, i) => bytes[i] === b)) throw new LedgerFormatError(LEDGER_FORMAT_1_REFUSED)
  if (!magic.every((b, i) => bytes[i] === b)) throw new LedgerFormatError('not a meshtrain ledger file (wrong magic)')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const records: Uint8Array[] = []
  const offsets: number[] = []
  let offset = magic.byteLength
  while (offset < bytes.byteLength) {
    if (bytes.byteLength - offset < RECORD_LENGTH_BYTES) {
      return { records, offsets, wholeBytes: offset, tornTail: { have: bytes.byteLength - offset, want: RECORD_LENGTH_BYTES } }
    }
    const length = view.getUint32(offset, true)
    if (length === 0 || length > MAX_LEDGER_ENTRY_BYTES) {
      throw new LedgerFormatError(`entry ${records.length}: record length ${length}, expected 1 to ${MAX_LEDGER_ENTRY_BYTES}`)
    }
    const end = offset + RECORD_LENGTH_BYTES + length
    if (end > bytes.byteLength) {
      return { records, offsets, wholeBytes: offset, tornTail: { have: bytes.byteLength - offset, want: RECORD_LENGTH_BYTES + length } }
    }
    offsets.push(offset)
    records.push(bytes.subarray(offset + RECORD_LENGTH_BYTES, end))
    offset = end
  }
  return { records, offsets, wholeBytes: offset }
}
