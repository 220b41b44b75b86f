import { formatCheckpoint, parseCheckpoint } from './ledger-checkpoint.ts'
import type { LedgerCheckpoint } from './ledger-checkpoint.ts'
import { LedgerFormatError } from './ledger-error.ts'
import { MAX_LEDGER_ENTRY_BYTES } from './ledger-entry.ts'

/**
 * The export an auditor verifies with nothing but the file and the node's peer id
 * (`meshtrain ledger export`, then `meshtrain ledger verify --file F --peer P`): UTF-8 text, one
 * line per item, `\n` after each. Line 1 is a header object,
 * `{"checkpoint":"<checkpoint text>"|"","format":"meshtrain-ledger-export/2","peerId":"<id>"}`;
 * every further line is one entry's bytes, exactly as the log holds them, in base64 (with
 * padding), entry 0 first. The header is informative: the verifier trusts the peer id it is
 * given, not the one in the file.
 */

/** The `format` of the header line. */
export const LEDGER_EXPORT_FORMAT = 'meshtrain-ledger-export/2'

const BASE64_LINE = /^[A-Za-z0-9+/]*={0,2}$/

/** An export read back. */
export interface LedgerExport {
  readonly peerId: string
  readonly checkpoint?: LedgerCheckpoint
  /** Each entry's bytes. */
  readonly records: readonly Uint8Array[]
}

const encoder = new TextEncoder()

/** The bytes of an export. */
export function encodeLedgerExport (exported: LedgerExport): Uint8Array {
  const header = JSON.stringify({ checkpoint: exported.checkpoint === undefined ? '' : formatCheckpoint(exported.checkpoint), format: LEDGER_EXPORT_FORMAT, peerId: exported.peerId })
  return encoder.encode([header, ...exported.records.map(r => Buffer.from(r).toString('base64'))].join('\n') + '\n')
}

/**
 * Split an export into its header and entry records. Entries are not decoded here: verify does
 * that, and names the entry at fault.
 * @throws LedgerFormatError when the header is not an export header of this format, a line is too long, or the last line has no line end.
 */
export function parseLedgerExport (bytes: Uint8Array): LedgerExport {
  const lines: Uint8Array[] = []
  let start = 0
  for (let i = 0; i < bytes.byteLength; i++) {
    if (bytes[i] !== 0x0a) continue
    lines.push(bytes.subarray(start, i))
    start = i + 1
  }
  if (start !== bytes.byteLength) throw new LedgerFormatError(`export: the last line (${lines.length - 1} entries in) has no line end: the file is truncated`)
  const [headerLine, ...entryLines] = lines
  if (headerLine === undefined) throw new LedgerFormatError('export: empty file')
  let header: unknown
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerLine.subarray(0, 4096)))
  } catch {
    throw new LedgerFormatError('export: the first line is not a JSON header')
  }
  const h = header as Record<string, unknown>
  if (h !== null && typeof h === 'object' && h.format === 'meshtrain-ledger-export/1') {
    throw new LedgerFormatError('export: an export in format 1 (JSON entries, written by meshtrain before ledger format 2); this meshtrain reads format 2 only: verify it with the meshtrain that wrote it')
  }
  if (h === null || typeof h !== 'object' || h.format !== LEDGER_EXPORT_FORMAT || typeof h.peerId !== 'string' || typeof h.checkpoint !== 'string') {
    throw new LedgerFormatError(`export: not a ${LEDGER_EXPORT_FORMAT} header`)
  }
  const records = entryLines.map((line, i) => {
    if (line.byteLength > Math.ceil(MAX_LEDGER_ENTRY_BYTES / 3) * 4) throw new LedgerFormatError(`export: entry ${i} is longer than ${MAX_LEDGER_ENTRY_BYTES} bytes`)
    const text = new TextDecoder().decode(line)
    const bytes = Uint8Array.from(Buffer.from(text, 'base64'))
    if (!BASE64_LINE.test(text) || Buffer.from(bytes).toString('base64') !== text) throw new LedgerFormatError(`export: line ${i + 2} (entry ${i}) is not base64`)
    return bytes
  })
  return { peerId: h.peerId, ...(h.checkpoint === '' ? {} : { checkpoint: parseCheckpoint(h.checkpoint) }), records }
}
