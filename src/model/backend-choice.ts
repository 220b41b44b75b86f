import { InputError } from '../errors/index.ts'

// What an operator may choose, without tfjs: the settings table and the main thread read it;
// backend.ts, which loads tfjs, applies the choice in the thread that trains.

/** The tfjs backends a node may run on, in order of preference. */
export const BACKEND_NAMES = ['tensorflow', 'wasm', 'cpu'] as const

/** A tfjs backend a node may run on. */
export type BackendName = typeof BACKEND_NAMES[number]

/** What an operator may ask for: a backend by name, or `auto` for the first that works. */
export type BackendChoice = 'auto' | BackendName

/** The accepted values of a {@link BackendChoice}, for help texts and validation. */
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', ...BACKEND_NAMES]

/** A backend that was asked for by name and cannot run here. */
export class BackendUnavailableError extends InputError {
  readonly backend: BackendName
  constructor (backend: BackendName, message: string, options?: ErrorOptions) {
    super('backend-unavailable', `backend ${backend} is not available: ${message}`, options)
    this.backend = backend
  }
}

/**
 * Check an operator's backend setting.
 * @throws RangeError naming the value and the accepted ones.
 */
export function parseBackendChoice (value: string): BackendChoice {
  if ((BACKEND_CHOICES as readonly string[]).includes(value)) return value as BackendChoice
  throw new RangeError(`backend: got ${JSON.stringify(value)}, allowed: ${BACKEND_CHOICES.join(', ')}`)
}
