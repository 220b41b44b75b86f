/**
 * What a node does with a message that failed validation, in gossipsub's terms:
 * `reject` means the sender provably misbehaved (it costs the sender its score);
 * `ignore` means the message is useless but honest peers send such too (stale, duplicate),
 * or the node itself could not look at it (overloaded, not ready, its own bug).
 */
export type ValidationAction = 'reject' | 'ignore'

/**
 * Every way an announcement or a model-transfer request can fail validation, and the action it
 * implies. One closed set: used as the metric label, in logs, and to pick the gossipsub result.
 */
export const VALIDATION_CODES = {
  // The codec: bytes -> announcement (or transfer request).
  'too-large': 'reject',
  malformed: 'reject',
  'unknown-version': 'reject',
  'bad-signature': 'reject',
  'sender-mismatch': 'reject',
  // The receiver's checks against the manifest and its own state.
  'wrong-network': 'reject',
  // The encoding is part of the manifest (and so of the network id): honest members agree on it.
  'wrong-encoding': 'reject',
  'wrong-size': 'reject',
  // On a private network (manifest `privacy`): an announcement without its sender's privacy spent,
  // or with another delta than the manifest's; on any other network, one with a privacy field.
  'wrong-privacy': 'reject',
  // Members change by manifest versions, which nodes adopt one after another: a relay that has
  // adopted a version adding a member forwards that member's announcements in good faith to
  // peers still on the version before (and one still behind forwards a removed member's). So the
  // announcement is dropped and not forwarded, but its relay is not scored down: a reject here
  // banned honest members for ten minutes during every vote and split the network. A non-member
  // cannot connect at all (the connection gater).
  'not-a-member': 'ignore',
  // Two signed models for one round are the signer's fault, not the relay's: an honest relay that
  // saw the other one first forwarded this one in good faith. So gossip ignores the second (no
  // P4 for whoever delivered it) and the signer is charged the equivocation offence instead
  // (src/network/peer-penalties.ts).
  equivocation: 'ignore',
  'stale-round': 'ignore',
  'future-round': 'ignore',
  duplicate: 'ignore',
  // The payload, once fetched.
  'non-finite': 'reject',
  'hash-mismatch': 'reject',
  // A model-transfer request for a payload the node does not hold (any more): honest peers ask
  // for models that have just fallen out of the store.
  'unknown-hash': 'ignore',
  // Bounded queues: the message was dropped unread because the sender (or everyone together)
  // already has the most messages in flight the node looks at concurrently.
  overloaded: 'ignore',
  // A model-transfer request that did not arrive within its deadline, or whose stream failed.
  timeout: 'ignore',
  'stream-error': 'ignore',
  // The round already has the most announcers the node keeps track of.
  'too-many-announcers': 'ignore',
  // The announcement arrived before the round loop registered its handler.
  'no-handler': 'ignore',
  // Validation itself threw something other than a ValidationError: the node's bug, so the
  // sender is not penalised (the fuzz tests keep this at zero).
  'internal-error': 'ignore'
} as const satisfies Record<string, ValidationAction>

export type ValidationCode = keyof typeof VALIDATION_CODES

/** Every validation code, in a stable order (for metric tables and tests). */
export const VALIDATION_CODE_LIST = Object.keys(VALIDATION_CODES) as readonly ValidationCode[]

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
