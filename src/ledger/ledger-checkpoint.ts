import type { PrivateKey, PublicKey } from '@libp2p/interface'
import { MAX_LEDGER_HEAD_LENGTH, signBytes, verifyBytes } from '../protocol/index.ts'
import { CHECKPOINT_TEXT_PATTERN } from './entry-kinds.ts'
import { LedgerFormatError } from './ledger-error.ts'

/**
 * A signed checkpoint: the size and Merkle root of a node's log at a moment, signed with the
 * node's key, in the manner of RFC 9162's signed tree head
 * ([§4.10](https://www.rfc-editor.org/rfc/rfc9162#section-4.10)). It stands for the whole log: any
 * later checkpoint of the same log must be provably consistent with it (§2.1.4).
 *
 * Text form (what announcements carry): `<size>:<root hex>:<time ms>:<base64 signature>`, about
 * 170 characters. Signed bytes: UTF-8 of
 * `meshtrain/ledger-checkpoint/1\n<peer id>\n<size>\n<root hex>\n<time ms>`.
 */
export interface LedgerCheckpoint {
  /** Entries in the log. */
  readonly size: number
  /** Merkle tree hash of those entries, hex. */
  readonly root: string
  /** When it was signed, ms since the Unix epoch. */
  readonly time: number
  /** Ed25519 signature, base64. */
  readonly signature: string
}

/** Longest checkpoint text, characters: the announcement's `ledgerHead` limit. */
export const MAX_CHECKPOINT_TEXT_LENGTH = MAX_LEDGER_HEAD_LENGTH

function signingBytes (peerId: string, c: Omit<LedgerCheckpoint, 'signature'>): Uint8Array {
  return new TextEncoder().encode(`meshtrain/ledger-checkpoint/1\n${peerId}\n${c.size}\n${c.root}\n${c.time}`)
}

/** Sign the log's size and root with the node's key. */
export async function signCheckpoint (peerId: string, fields: Omit<LedgerCheckpoint, 'signature'>, privateKey: PrivateKey): Promise<LedgerCheckpoint> {
  const signature = await signBytes(privateKey, signingBytes(peerId, fields))
  return { ...fields, signature: Buffer.from(signature).toString('base64') }
}

/** Whether `checkpoint` is signed by `publicKey` for `peerId`'s log. */
export async function verifyCheckpoint (peerId: string, checkpoint: LedgerCheckpoint, publicKey: PublicKey): Promise<boolean> {
  return await verifyBytes(publicKey, signingBytes(peerId, checkpoint), Buffer.from(checkpoint.signature, 'base64'))
}

/** The text form of a checkpoint. */
export function formatCheckpoint (c: LedgerCheckpoint): string {
  return `${c.size}:${c.root}:${c.time}:${c.signature}`
}

/**
 * The text form back to a checkpoint: length, then pattern, then numbers. The signature is not
 * checked here ({@link verifyCheckpoint}).
 * @throws LedgerFormatError
 */
export function parseCheckpoint (text: string): LedgerCheckpoint {
  if (text.length > MAX_CHECKPOINT_TEXT_LENGTH || !CHECKPOINT_TEXT_PATTERN.test(text)) {
    throw new LedgerFormatError('checkpoint is not <size>:<root hex>:<time>:<signature>')
  }
  const [size, root, time, signature] = text.split(':') as [string, string, string, string]
  const n = Number(size)
  const t = Number(time)
  if (!Number.isSafeInteger(n) || !Number.isSafeInteger(t)) throw new LedgerFormatError('checkpoint size or time out of range')
  return { size: n, root, time: t, signature }
}
