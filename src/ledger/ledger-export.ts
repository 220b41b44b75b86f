import { formatCheckpoint, parseCheckpoint } from './ledger-checkpoint.ts'
import type { LedgerCheckpoint } from './ledger-checkpoint.ts'
import { LedgerFormatError } from './ledger-error.ts'
import { MAX_LEDGER_ENTRY_BYTES } from './ledger-entry.ts'

/**
 * The export an auditor verifies with nothing but the file and the node's peer id
 * (`meshtrain ledger export`, then `meshtrain ledger verify --file F --peer P`): UTF-8 text, one
 * line per item, `\n` after each. Line 1 is a header object,
 * `{"checkpoint":"<checkpoint text>"|"","format":"meshtrain-ledger-export/1","peerId":"<id>"}`;
 * every further line is one entry's bytes exactly as the log holds them (canonical JSON has no
 * raw line break), entry 0 first. The header is informative: the verifier trusts the peer id it
 * is given, not the one in the file.
 */

/** The `format` of the header line. */
export const LEDGER_EXPORT_FORMAT = 'meshtrain-ledger-export/1'

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
  const parts = [encoder.encode(header + '\n'), ...exported.records.flatMap(r => [r, encoder.encode('\n')])]
  return Buffer.concat(parts)
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
  const [headerLine, ...records] = lines
  if (headerLine === undefined) throw new LedgerFormatError('export: empty file')
  let header: unknown
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerLine.subarray(0, 4096)))
  } catch {
    throw new LedgerFormatError('export: the first line is not a JSON header')
  }
  const h = header as Record<string, unknown>
  if (h === null || typeof h !== 'object' || h.format !== LEDGER_EXPORT_FORMAT || typeof h.peerId !== 'string' || typeof h.checkpoint !== 'string') {
    throw new LedgerFormatError(`export: not a ${LEDGER_EXPORT_FORMAT} header`)
  }
  const tooLong = records.findIndex(r => r.byteLength > MAX_LEDGER_ENTRY_BYTES)
  if (tooLong >= 0) throw new LedgerFormatError(`export: entry ${tooLong} is longer than ${MAX_LEDGER_ENTRY_BYTES} bytes`)
  return { peerId: h.peerId, ...(h.checkpoint === '' ? {} : { checkpoint: parseCheckpoint(h.checkpoint) }), records }
}
