/**
 * What a node does with a message that failed validation, in gossipsub's terms:
 * `reject` means the sender provably misbehaved (it costs the sender its score);
 * `ignore` means the message is useless but honest peers send such too (stale, duplicate).
 */
export type ValidationAction = 'reject' | 'ignore'

/** Every way a message can fail validation; used as a metric label and in logs. */
export const VALIDATION_CODES = {
  'too-large': 'reject',
  malformed: 'reject',
  'unknown-version': 'reject',
  'wrong-network': 'reject',
  'bad-signature': 'reject',
  'sender-mismatch': 'reject',
  'wrong-size': 'reject',
  'non-finite': 'reject',
  'hash-mismatch': 'reject',
  equivocation: 'reject',
  'stale-round': 'ignore',
  'future-round': 'ignore',
  duplicate: 'ignore',
  'not-a-member': 'ignore'
} as const satisfies Record<string, ValidationAction>

export type ValidationCode = keyof typeof VALIDATION_CODES

/** A message refused by validation: carries the code and the action it implies. */
export class ValidationError extends Error {
  readonly code: ValidationCode
  readonly action: ValidationAction
  constructor (code: ValidationCode, message: string) {
    super(`${code}: ${message}`)
    this.name = 'ValidationError'
    this.code = code
    this.action = VALIDATION_CODES[code]
  }
}
