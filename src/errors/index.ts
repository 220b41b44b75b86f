/**
 * The root of every expected failure. The command line turns a MeshtrainError into one line on
 * stderr and its exit status; anything else that reaches it is a bug and prints a stack.
 * A leaf: every room may import it, it imports nothing.
 */

/** Exit statuses of the `meshtrain` command. */
export const EXIT_STATUS = {
  /** Done. */
  ok: 0,
  /** A runtime failure: the input was fine but the work could not be done (port in use, disk, peer). */
  failure: 1,
  /** Bad input: a setting, a file or data the command cannot use; the message names it. */
  badInput: 2,
  /** A second SIGINT/SIGTERM forced the stop. */
  forcedStop: 130
} as const

/** An expected failure: a code for programs, a message for people, and the exit status it ends with. */
export class MeshtrainError extends Error {
  /** Stable kebab-case code, e.g. `bad-setting`, `listen-failed`. */
  readonly code: string
  readonly exitStatus: typeof EXIT_STATUS.failure | typeof EXIT_STATUS.badInput
  constructor (code: string, message: string, exitStatus: MeshtrainError['exitStatus'], options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
    this.code = code
    this.exitStatus = exitStatus
  }
}

/** Bad input (exit 2): a setting, file or data set the node cannot use. */
export class InputError extends MeshtrainError {
  constructor (code: string, message: string, options?: ErrorOptions) {
    super(code, message, EXIT_STATUS.badInput, options)
  }
}

/** A runtime failure (exit 1): the input is fine, the work could not be done. */
export class RuntimeFailure extends MeshtrainError {
  constructor (code: string, message: string, options?: ErrorOptions) {
    super(code, message, EXIT_STATUS.failure, options)
  }
}

/** An operator setting that cannot be used: the message names the setting, the value and what is allowed. */
export class ConfigError extends InputError {
  /** The setting at fault, e.g. `listen`, `dataDir`. */
  readonly setting: string
  constructor (setting: string, message: string, options?: ErrorOptions) {
    super('bad-setting', message, options)
    this.setting = setting
  }
}
