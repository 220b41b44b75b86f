import { createHash, randomBytes } from 'node:crypto'

/**
 * A salted commitment to a node's training examples: it binds the log to one data set (the
 * dataset fingerprint, a SHA-256 of the examples) without letting a reader test a guess of the
 * data, since the salt stays with the node. The node can open it to an auditor by revealing the
 * salt and the fingerprint.
 *
 * `commitment = SHA-256(UTF-8("meshtrain/data-commitment/1\n" + salt hex + "\n" + fingerprint))`
 */

/** Bytes of a data salt. */
export const DATA_SALT_BYTES = 32

/** A new random salt, hex. */
export function newDataSalt (): string {
  return randomBytes(DATA_SALT_BYTES).toString('hex')
}

/** The commitment to the examples whose fingerprint is `fingerprint`, under `salt` (hex). */
export function dataCommitment (salt: string, fingerprint: string): string {
  return createHash('sha256').update(`meshtrain/data-commitment/1\n${salt}\n${fingerprint}`).digest('hex')
}
